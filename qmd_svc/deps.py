"""What qmd is built from, each typed by what qmd needs of it: where `markdown.updated`
events go, and the thread pool that runs index reads. `__main__` builds both (and closes
them); `server.build_server` only wires them."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from qmd_svc.events import EventSink


@dataclass(frozen=True)
class Deps:
    """qmd's collaborators."""

    # The scheduler (clients.SchedulerEvents), or events.LogSink when it is not told.
    events: EventSink
    # Runs searches and other index reads, each on its own read connection.
    readers: Executor
