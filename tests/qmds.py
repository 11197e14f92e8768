"""A real qmd_svc for tests: served on port 0 with a reader pool of its own (what
`python -m qmd_svc` builds in its __main__), closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from qmd_svc.config import QmdSettings
from qmd_svc.deps import Deps
from qmd_svc.events import EventSink, LogSink
from qmd_svc.server import build_server
from svckit import testing
from svckit.serve import Ports


@asynccontextmanager
async def serving_qmd(
    settings: QmdSettings, events: EventSink | None = None
) -> AsyncIterator[Ports]:
    """`events` receives markdown.updated (default: only logged)."""
    readers = ThreadPoolExecutor(settings.qmd_reader_threads, thread_name_prefix="qmd-r")
    try:
        deps = Deps(events=LogSink() if events is None else events, readers=readers)
        async with testing.serving(build_server(settings, deps)) as ports:
            yield ports
    finally:
        readers.shutdown(wait=True)
