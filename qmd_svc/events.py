"""`markdown.updated` events: queued without waiting, delivered in the background with retries,
so indexing never waits for the scheduler. The runtime's own folders are not announced."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from qmd_svc.paths import PathFilter

log = logging.getLogger("qmd_svc.events")
EVENT_KEY = "markdown.updated"


class PermanentFailure(Exception):
    """Delivery can never succeed (e.g. the scheduler does not implement it): do not retry."""


class EventSink(Protocol):
    """Delivers one event; raises on failure (PermanentFailure to stop retrying)."""

    async def notify(self, workspace_id: str, event_key: str, path: str) -> None: ...


class LogSink:
    """Used when no scheduler is reachable by design: the event is only logged."""

    async def notify(self, workspace_id: str, event_key: str, path: str) -> None:
        log.info("event", extra={"event": event_key, "workspace_id": workspace_id, "path": path})


class EventPublisher:
    """Implements `ChangeListener`: filters changed paths and delivers them in order."""

    def __init__(
        self,
        sink: EventSink,
        rules: PathFilter,
        *,
        attempts: int = 5,
        backoff: float = 0.2,
        max_queue: int = 10_000,
    ) -> None:
        self._sink = sink
        self._rules = rules
        self._attempts = attempts
        self._backoff = backoff
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(max_queue)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.delivered = 0

    def changed(self, workspace_id: str, paths: list[str]) -> None:
        for path in paths:
            if self._rules.excluded(path):
                continue
            if self._queue.full():  # shed the oldest rather than block the indexer
                self._queue.get_nowait()
                self.dropped += 1
            self._queue.put_nowait((workspace_id, path))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            ws, path = await self._queue.get()
            await self._deliver(ws, path)

    async def _deliver(self, ws: str, path: str) -> None:
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                await self._sink.notify(ws, EVENT_KEY, path)
                self.delivered += 1
                return
            except PermanentFailure as exc:
                log.info("event not delivered: %s", exc, extra={"workspace_id": ws, "path": path})
                return
            except Exception as exc:
                if attempt == self._attempts:
                    log.warning("event dropped after %d attempts: %s", attempt, exc)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
