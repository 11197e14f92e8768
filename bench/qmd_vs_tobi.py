"""A deterministic markdown corpus for qmd tests and benchmarks: Zipf-distributed synthetic
words, headings, paragraphs, code fences, a share of CJK documents, and planted terms that
each occur in exactly one document (the expected top hit)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

_SYL = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "to",
    "vi",
    "de",
    "po",
    "ta",
    "shi",
    "ben",
    "gar",
    "fel",
    "dor",
    "nix",
    "qua",
    "zen",
    "mor",
    "tal",
    "wex",
    "yul",
    "bri",
]
_CJK = [
    "数据库",
    "索引",
    "搜索",
    "文档",
    "配置",
    "服务器",
    "会议",
    "记录",
    "计划",
    "用户",
    "検索",
    "設定",
    "議事録",
    "ドキュメント",
    "사용자",
    "검색",
    "회의",
    "문서",
]
FOLDERS = [
    "notes",
    "projects/alpha",
    "projects/beta",
    "meetings",
    "docs/api",
    "docs/guides",
    "inbox",
    "memory",
    "journal/2025",
    "journal/2026",
]


@dataclass(frozen=True)
class Planted:
    term: str  # occurs in exactly one document
    path: str  # workspace-relative path of that document
    context_word: str  # a common word of the same document, for two-word queries


def _vocab(rng: random.Random, n: int) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < n:
        words["".join(rng.choice(_SYL) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def generate(root: Path, docs: int, *, seed: int = 7, planted: int = 100) -> list[Planted]:
    """Write `docs` markdown files under `root`; return the planted terms."""
    rng = random.Random(seed)
    vocab = _vocab(rng, 20_000)
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    plant_at = set(rng.sample(range(docs), min(planted, docs)))
    out: list[Planted] = []
    for i in range(docs):
        words = rng.choices(vocab, weights, k=rng.randint(60, 400))
        cjk = i % 20 == 0
        rel = f"{FOLDERS[i % len(FOLDERS)]}/doc-{i:05d}.md"
        lines = [f"# {' '.join(words[:3]).title()} {i}", ""]
        pos = 3
        while pos < len(words):
            n = rng.randint(15, 60)
            para = " ".join(words[pos : pos + n])
            if cjk:
                para += " " + "".join(rng.choices(_CJK, k=6)) + "。"
            lines += [para, ""]
            pos += n
            r = rng.random()
            if r < 0.15:
                lines += [f"## {' '.join(rng.choices(vocab[:500], k=2)).title()}", ""]
            elif r < 0.22:
                lines += ["```python", f"def f_{i}(x):", "    return x + 1", "```", ""]
        if i in plant_at:
            term = f"plantx{i:05d}q"
            lines.insert(len(lines) // 2, f"The {term} marker lives here.\n")
            out.append(Planted(term, rel, words[5]))
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
    return out


def common_queries(seed: int, n: int) -> list[str]:
    """Two-word queries over frequent (but not the most frequent) words."""
    rng = random.Random(seed)
    vocab = _vocab(random.Random(seed), 20_000)[20:2000]
    return [" ".join(rng.sample(vocab, 2)) for _ in range(n)]
