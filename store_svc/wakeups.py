"""Claimers waiting for work (long-poll ClaimTasks), all woken by new work.

A wake-up only reaches waiters in this process; tasks created through another store
replica (PostgreSQL) are found by the waiters' periodic re-check instead."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

# how often a waiting claimer looks again without a wake-up (delayed retries, other replicas)
RECHECK_S = 0.25


class Wakeups:
    def __init__(self) -> None:
        self._waiters: deque[asyncio.Future[bool]] = deque()
        #: grows on every notify, so a claimer can tell it missed one while it was claiming
        self.generation = 0

    def notify(self, n: int = 1) -> None:
        """Wake every waiting claimer when `n` (> 0) tasks became claimable. Not only `n` of
        them: claimers filter by lane and kind (an orchestrator keeps a claimer for turns
        alone), so the one woken could be one that cannot take the new work while another
        that could sleeps on; a claimer that finds nothing simply waits again."""
        if n <= 0:
            return
        self.generation += 1
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(True)

    async def wait(self, timeout_s: float) -> None:
        """Until notified or `timeout_s` passes."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(fut)
        timer = loop.call_later(timeout_s, _expire, fut)
        notified = False
        try:
            notified = await fut
        finally:
            timer.cancel()
            if not notified:  # timed out or cancelled: leave no stale waiter behind
                fut.cancel()
                with contextlib.suppress(ValueError):  # notify() may have dropped it
                    self._waiters.remove(fut)


def _expire(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(False)
