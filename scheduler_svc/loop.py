"""The firing loop: while this process holds the scheduler lease, look for due objectives
about once a tick (sooner when an objective changes) and fire each. A failure of one
objective is logged and retried at a later tick (backing off to 30 s); it never stops the
loop or the other objectives. Losing the lease stops firing at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.firing import Firer
from scheduler_svc.leader import Leadership
from scheduler_svc.outcomes import Reconciler

log = logging.getLogger("scheduler_svc.loop")

BATCH = 100
MAX_BACKOFF = 30.0


class FiringLoop:
    """Started and stopped with the service (`server.build_server`)."""

    def __init__(
        self,
        objectives: ObjectiveStore,
        firer: Firer,
        reconciler: Reconciler,
        leadership: Leadership,
        clock: Callable[[], float],
        tick_seconds: float,
    ) -> None:
        self._store, self.firer, self.leadership = objectives, firer, leadership
        self.reconciler = reconciler
        self._clock, self._tick = clock, tick_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retry: dict[str, tuple[float, float]] = {}  # id -> (monotonic due, backoff)
        self.fired = 0  # tasks this loop created

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="scheduler-firing")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.leadership.release()

    def is_leading(self) -> float:
        return 1.0 if self.leadership.leading else 0.0

    def fired_count(self) -> float:
        return float(self.fired)

    def missed_count(self) -> float:
        return float(self.firer.missed)

    def closed_count(self) -> float:
        return float(self.reconciler.closed)

    def wake(self) -> None:
        """Look again now (an objective was created or changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            more = False
            try:
                if await self.leadership.keep():
                    more = await self.tick()
            except Exception:
                log.exception("firing tick failed")
            if not more:
                await self._sleep()

    async def _sleep(self) -> None:
        delay = self.leadership.seconds_to_renew()
        if self.leadership.leading:
            delay = min(delay, self._tick)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(delay, 0.01))

    async def tick(self) -> bool:
        """Close the runs whose tasks finished, then fire what is due now; whether a full
        batch made progress (look again at once)."""
        now, token = int(self._clock()), self.leadership.token
        try:
            await self.reconciler.tick(now, token)
        except Exception:  # level-triggered: the next tick sees the same open runs again
            log.exception("reconciling run outcomes failed")
        due = await self._store.due(now, BATCH)
        progressed = False
        for obj in due:
            if not self.leadership.leading:
                return False
            retry = self._retry.get(obj.id)
            if retry is not None and retry[0] > time.monotonic():
                continue
            try:
                fired = await self.firer.fire_due(obj, now, token)
            except Exception as exc:
                backoff = min(retry[1] * 2, MAX_BACKOFF) if retry else self._tick
                self._retry[obj.id] = (time.monotonic() + backoff, backoff)
                log.warning(
                    "objective did not fire, retrying in %.0f s: %s",
                    backoff,
                    exc,
                    extra={"objective_id": obj.id},
                )
                continue
            self._retry.pop(obj.id, None)
            progressed = True
            if fired is not None and fired.created:
                self.fired += 1
        return progressed and len(due) == BATCH
