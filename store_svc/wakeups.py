"""Claimers waiting for work (long-poll ClaimTasks), woken by new work in their lanes.

A claimer may wait for some lanes only (an orchestrator keeps a claimer for turns alone);
new work wakes every waiter whose lanes it is in, not just one: the one woken might filter
by kind and find nothing while another that could take it sleeps on (a claimer that finds
nothing simply waits again). On PostgreSQL a wake-up also reaches the waiters of the other
store replicas through `LISTEN/NOTIFY` (`store_svc.db.pg_wakeups`, which sets `publish`);
the periodic re-check remains for delayed retries and a lost listener connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

# how often a waiting claimer looks again without a wake-up (delayed retries, other replicas)
RECHECK_S = 0.25
_TASK_RANKS = frozenset({0, 1, 2})  # lane ranks: turn, task, background (store_svc.tasks.LANES)
# not a task lane: new deliveries in the outbox, for ClaimDeliveries' long poll
DELIVERIES = 3
_RANKS = 4

Lanes = frozenset[int] | None  # ranks; None for every task lane (and, notified, for all)
_Waiter = tuple["asyncio.Future[bool]", Lanes]


def _overlap(notified: Lanes, waiting: Lanes) -> bool:
    if notified is None:
        return True
    return bool(notified & (_TASK_RANKS if waiting is None else waiting))


class Wakeups:
    def __init__(self) -> None:
        self._waiters: list[_Waiter] = []
        # per lane rank, grows on every notify, so a claimer can tell it missed one while it
        # was claiming
        self._generations = [0] * _RANKS
        # tells the other store replicas (lane ranks, None for every lane); None: no others
        self.publish: Callable[[frozenset[int] | None], None] | None = None

    def generation(self, lanes: Lanes = None) -> int:
        """A counter that grows whenever work appears in `lanes`."""
        ranks = _TASK_RANKS if lanes is None else [r for r in lanes if 0 <= r < _RANKS]
        return sum(self._generations[r] for r in ranks)

    def notify(self, n: int = 1, lanes: Iterable[int] | None = None) -> None:
        """`n` (> 0) tasks became claimable in `lanes` (lane ranks; None when unknown):
        wake every waiter of those lanes."""
        if n <= 0:
            return
        ranks = None if lanes is None else frozenset(lanes)
        self.notify_local(ranks)
        if self.publish is not None:
            self.publish(ranks)

    def notify_local(self, ranks: frozenset[int] | None) -> None:
        """Wake this process's waiters of `ranks` (what another replica's notice does)."""
        for r in range(_RANKS) if ranks is None else ranks:
            if 0 <= r < _RANKS:
                self._generations[r] += 1
        keep: list[_Waiter] = []
        for fut, only in self._waiters:
            if fut.done():
                continue
            if _overlap(ranks, only):
                fut.set_result(True)
            else:
                keep.append((fut, only))
        self._waiters = keep

    async def wait(self, timeout_s: float, lanes: Lanes = None) -> None:
        """Until work appears in `lanes` or `timeout_s` passes."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        waiter: _Waiter = (fut, lanes)
        self._waiters.append(waiter)
        timer = loop.call_later(timeout_s, _expire, fut)
        notified = False
        try:
            notified = await fut
        finally:
            timer.cancel()
            if not notified:  # timed out or cancelled: leave no stale waiter behind
                fut.cancel()
                with contextlib.suppress(ValueError):  # notify() may have dropped it
                    self._waiters.remove(waiter)


def _expire(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(False)
