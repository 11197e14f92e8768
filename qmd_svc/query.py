"""Turning free text into FTS5 expressions, and matched terms into snippets. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

# Hiragana, katakana, CJK ideographs (and extension A, compatibility), Hangul.
_CJK = re.compile(
    r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\uff66-\uff9f]"
)
_WORD = re.compile(r"\w+")
_SUFFIX = re.compile(r"(?:ing|ed|es|er|ly|s)$")
MAX_TERMS = 16
SNIPPET_CHARS = 200


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True)
class Query:
    """The words of a query, and how to ask FTS5 for them."""

    terms: tuple[str, ...]
    cjk: bool

    @classmethod
    def parse(cls, text: str) -> Query:
        seen: dict[str, None] = {}
        for w in _WORD.findall(text.lower()):
            if w not in seen and len(seen) < MAX_TERMS:
                seen[w] = None
        return cls(tuple(seen), has_cjk(text))

    def match_all(self) -> str:
        return " AND ".join(_quote(t) for t in self.terms)

    def each_term(self) -> list[str]:
        return [_quote(t) for t in self.terms]

    def trigram_parts(self) -> tuple[str, list[str]]:
        """For the trigram table: a MATCH over terms of 3+ characters, LIKE for shorter ones
        (FTS5's trigram tokenizer cannot match fewer than three characters)."""
        long = [t for t in self.terms if len(t) >= 3]
        short = [t for t in self.terms if len(t) < 3]
        return " AND ".join(_quote(t) for t in long), short

    @cached_property
    def term_patterns(self) -> list[str]:
        """One regex per term: CJK as a substring, other words by stem at a word start."""
        alts = []
        for t in sorted(self.terms, key=len, reverse=True):
            if has_cjk(t):
                alts.append(re.escape(t))
            else:
                stem = _SUFFIX.sub("", t) if len(t) > 4 else t
                alts.append(r"\b" + re.escape(stem) + r"\w*")
        return alts

    @cached_property
    def highlighter(self) -> re.Pattern[str]:
        return re.compile("|".join(self.term_patterns) or r"(?!x)x", re.IGNORECASE)


def snippet(body: str, query: Query, width: int = SNIPPET_CHARS) -> str:
    """A window of `body` around the first matched term, matches wrapped in `**`."""
    pat = query.highlighter
    # Centre on the rarest matched term: it is what made this chunk rank.
    anchor, fewest = -1, 1 << 30
    for term in query.term_patterns:
        found = [m.start() for m in re.finditer(term, body, re.IGNORECASE)]
        if found and len(found) < fewest:
            anchor, fewest = found[0], len(found)
    begin = 0
    if anchor > width // 3:
        begin = body.rfind(" ", 0, anchor - width // 3) + 1
    end = min(len(body), begin + width)
    if end < len(body):
        cut = body.rfind(" ", begin + width // 2, end)
        end = cut if cut > 0 else end
    window = " ".join(body[begin:end].split())
    out = pat.sub(lambda m: f"**{m.group(0)}**", window)
    return ("…" if begin > 0 else "") + out + ("…" if end < len(body) else "")


def normalize(rank: float) -> float:
    """BM25 (negative, lower is better) to 0..1, monotonic: |s| / (1 + |s|)."""
    s = abs(rank)
    return s / (1.0 + s)
