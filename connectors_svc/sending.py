"""Replies sent after their handler returned: once a reply is recorded in the ledger (leased
to this replica, its first part `sending`) the inbound message counts as handled, and the
platform call and its outcome record run in the background, each chat's replies in the
order they were recorded. A crash meanwhile leaves the row `sending`, so it turns `unknown`
when the lease runs out, exactly as a crash during the platform call would."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("connectors.sending")
GRACE_S = 5.0  # how long a stop waits for sends in flight


class Background:
    def __init__(self) -> None:
        self._last: dict[str, asyncio.Task[None]] = {}  # each chat's latest send
        self._all: set[asyncio.Task[None]] = set()

    def run(self, chat: str, send: Callable[[], Awaitable[object]]) -> None:
        """Starts `send` once the chat's earlier sends are done."""
        before = self._last.get(chat)
        task = asyncio.create_task(self._after(before, send))
        self._last[chat] = task
        self._all.add(task)
        task.add_done_callback(lambda t: self._done(chat, t))

    async def aclose(self) -> None:
        """Lets the sends in flight finish for a moment, then cancels the rest."""
        if self._all:
            await asyncio.wait(set(self._all), timeout=GRACE_S)
        for task in list(self._all):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _after(
        self, before: asyncio.Task[None] | None, send: Callable[[], Awaitable[object]]
    ) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            await send()
        except Exception as exc:  # the ledger row shows where it stopped
            log.warning("reply not sent: %r", exc)

    def _done(self, chat: str, task: asyncio.Task[None]) -> None:
        self._all.discard(task)
        if self._last.get(chat) is task:
            del self._last[chat]
