"""The event loop every process runs on: uvloop where it is installed (Linux and macOS), else
asyncio's own. uvloop's transports and TLS are C: the REST edge's per-request cost falls by
about a tenth and every service's loop turns faster (bench/rest_overhead.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop this project runs on."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency wherever it builds
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
