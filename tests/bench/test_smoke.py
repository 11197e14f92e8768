"""Every benchmark still runs: `python -m bench.<name> --smoke` exits 0 and its last line is
`key=value` pairs with the keys its module declares in `KEYS`.

Benchmarks are found as `make bench` finds them (bench/*.py without a leading underscore), so
a new one is covered the day it lands. The figures of a smoke run mean nothing and are not
checked; wall-clock speed is bench/'s business, never a test's."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(p.stem for p in (ROOT / "bench").glob("[!_]*.py"))
PAIR = re.compile(r"[a-z][a-z0-9_]*=\S+")
DEADLINE_S = 240.0  # a smoke run takes seconds; this is for two shared, busy cores


def test_benchmarks_are_found() -> None:
    assert "grpc_echo" in BENCHMARKS, BENCHMARKS


@pytest.mark.parametrize("name", BENCHMARKS)
def test_smoke_run(name: str) -> None:
    keys = getattr(importlib.import_module(f"bench.{name}"), "KEYS", None)
    assert keys, f"bench/{name}.py declares no KEYS (the keys of its last line)"
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        cwd=ROOT,
        env={**os.environ, "GRPC_VERBOSITY": "ERROR"},
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    out = proc.stdout + proc.stderr[-2000:]
    assert proc.returncode == 0, out
    lines = proc.stdout.strip().splitlines()
    assert lines, out
    pairs = lines[-1].split()
    assert pairs and all(PAIR.fullmatch(p) for p in pairs), f"last line is not key=value:\n{out}"
    found = {p.split("=", 1)[0] for p in pairs}
    assert set(keys) <= found, f"missing {sorted(set(keys) - found)} in the last line:\n{out}"
