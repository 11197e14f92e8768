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

from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.firing import Firer
from scheduler_svc.leader import Leadership
from scheduler_svc.outcomes import Reconciler

log = logging.getLogger("scheduler_svc.loop")

BATCH = 2000
# Due objectives fired at once (each is a few store and orchestrator calls). Their enqueues
# and run records travel in batches (scheduler_svc.clients), so a second's worth of due
# objectives goes out together rather than in waves that each wait for the last.
PARALLEL = 1000
SECOND_SLACK = 0.002
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
        self.last_error = ""  # why the last tick failed ("" when it did not)

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

    def component(self) -> tuple[str, str, str, str] | None:
        """The `scheduler` heartbeat component while leading (a standby reports nothing:
        the leader's report is the truth, and it reads stale once no leader reports)."""
        if not self.leadership.leading:
            return None
        if self.last_error:
            return ("scheduler", "degraded", "firing tick failed", self.last_error)
        return ("scheduler", "healthy", "leading: firing objectives", "")

    def wake(self) -> None:
        """Look again now (an objective was created or changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            more = False
            try:
                if await self.leadership.keep():
                    more = await self.tick()
                self.last_error = ""
            except Exception as exc:
                log.exception("firing tick failed")
                self.last_error = f"{type(exc).__name__}: {exc}"
            if not more:
                await self._sleep()

    async def _sleep(self) -> None:
        # Slots are whole seconds: wake just after the next one begins, so a due slot waits
        # milliseconds, not up to a tick.
        delay = self.leadership.seconds_to_renew()
        if self.leadership.leading:
            to_second = 1.0 - self._clock() % 1.0 + SECOND_SLACK
            delay = min(delay, self._tick, to_second)
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(delay, 0.01))

    async def tick(self) -> bool:
        """Fire what is due now, then close the runs whose tasks finished; whether a full
        batch made progress (look again at once, closing runs after the last batch). The
        open runs are read once per tick: an objective without one skips the overlap check,
        unless this process started one of its runs since (`Firer.snapshot`)."""
        now, token = int(self._clock()), self.leadership.token
        since = self.firer.snapshot()
        open_runs = await self.reconciler.open_runs()
        busy = {r.objective_id for r in open_runs}
        due = await self._store.due(now, BATCH)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(obj: stored.Objective) -> bool:
            async with gate:
                return await self._fire(obj, now, token, obj.id in busy, since)

        progressed = any(await asyncio.gather(*(one(o) for o in due)))
        if progressed and len(due) == BATCH:
            return True
        try:
            await self.reconciler.close(open_runs, now, token)
        except Exception:  # level-triggered: the next tick sees the same open runs again
            log.exception("reconciling run outcomes failed")
        return False

    async def _fire(
        self, obj: stored.Objective, now: int, token: int, busy: bool, since: int
    ) -> bool:
        """Fire one due objective; whether it was handled (False: retried later)."""
        if not self.leadership.leading:
            return False
        retry = self._retry.get(obj.id)
        if retry is not None and retry[0] > time.monotonic():
            return False
        try:
            fired = await self.firer.fire_due(obj, now, token, busy, since)
        except Exception as exc:
            backoff = min(retry[1] * 2, MAX_BACKOFF) if retry else self._tick
            self._retry[obj.id] = (time.monotonic() + backoff, backoff)
            log.warning(
                "objective did not fire, retrying in %.0f s: %s",
                backoff,
                exc,
                extra={"objective_id": obj.id},
            )
            return False
        self._retry.pop(obj.id, None)
        if fired is not None and fired.created:
            self.fired += 1
        return True
