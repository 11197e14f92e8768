"""The worker pool: `size` workers of one orchestrator process, running claimed tasks.

A claim loop leases as many tasks as it has idle workers per call (`ClaimTasks` with
`max_tasks` = idle and a long poll, so a new task reaches an idle worker at once), only of
the kinds this process can execute. One worker is kept for turns, with its own claim loop
for the turn lane, so chat turns never wait behind background work. Each running task
heartbeats every third of its lease; the heartbeat answer says when a cancel was asked,
and the worker then stops the executor and releases the lease (the store records
`canceled`). A worker that cannot renew its lease (the store unreachable, heartbeats late)
stops the task itself shortly before the lease runs out by its own clock, counted from when
it asked for the lease, so it never runs on while another worker may have reclaimed it.
A finished task is completed with its fencing token (completions of one loop iteration
travel together), a failed one is reported with FailTask (the store retries with backoff or
dead-letters). `stop()` drains: running tasks get `drain_seconds`, then they are stopped
and their leases released, which spends no attempt."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.executors import Executors, Outcome
from svckit import errors

log = logging.getLogger("orchestrator.workers")

# Failures worth another attempt: the world may be different next time.
RETRYABLE = frozenset(
    {"UNAVAILABLE", "ABORTED", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN"}
)
# The lease is gone (expired and reclaimed, or the task ended): stop, report nothing.
_LOST = (errors.Aborted, errors.FailedPrecondition, errors.NotFound)


@dataclass(frozen=True, slots=True)
class Claim:
    """One lease request: up to `max_tasks` runnable tasks of `kinds` in `lanes` (empty: every
    lane) leased to `worker_id` for `lease_ms`, waiting up to `wait_ms` for work to appear."""

    worker_id: str
    max_tasks: int
    lease_ms: int
    kinds: Sequence[str]
    wait_ms: int
    lanes: Sequence[str] = ()


class Leases(Protocol):
    """The store's queue as a worker uses it (`clients.StoreLeases`)."""

    async def claim(self, claim: Claim) -> list[store.Task]: ...

    async def heartbeat(self, task_id: str, token: int, lease_ms: int) -> bool:
        """Extend the lease; True when a cancel of the task was asked."""
        ...

    async def complete(self, task_id: str, token: int, outcome: Outcome) -> None: ...

    async def fail(self, task_id: str, token: int, error: str, retryable: bool) -> None: ...

    async def release(self, leases: Sequence[tuple[str, int]]) -> None: ...


@dataclass(eq=False)
class _Job:
    task: store.Task
    runner: asyncio.Task[None] | None = None
    work: asyncio.Task[Outcome] | None = None
    # which claimer's worker runs it: the one kept for turns, or the shared ones
    slots: _Slots | None = None
    # why the executor was stopped: "cancel", "drain" or "lost"; "" while it runs
    stop: str = ""
    # its worker is free again (the executor ended; the outcome may still be on its way)
    freed: bool = False
    # until when the lease surely holds (monotonic seconds): from when it was last asked for
    valid_until: float = 0.0

    def free(self) -> None:
        if not self.freed and self.slots is not None:
            self.freed = True
            self.slots.busy -= 1
            self.slots.free.set()


@dataclass(eq=False)
class _Slots:
    """Workers filled by one claim loop: `size` of them, for `lanes` (empty: every lane)."""

    size: int
    lanes: list[str]
    busy: int = 0
    free: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerPool:
    def __init__(
        self,
        leases: Leases,
        executors: Executors,
        *,
        size: int,
        lease_ms: int = 30_000,
        wait_ms: int = 10_000,
        drain_seconds: float = 10.0,
        on_change: Callable[[], None] = lambda: None,
        worker_id: str = "",
    ) -> None:
        self._leases, self._executors = leases, executors
        self.size, self._lease_ms, self._wait_ms = size, lease_ms, wait_ms
        self._drain_s, self._on_change = drain_seconds, on_change
        self.worker_id = worker_id or default_worker_id()
        self._running: dict[str, _Job] = {}
        # One worker is kept for turns, filled by its own claim loop that asks for turns
        # only: other work never takes the last worker, so a chat message is not stuck
        # behind long background tasks. The shared workers take any lane, turns first.
        reserve = 1 if size > 1 and "turn" in executors.kinds else 0
        self._pools = [_Slots(size - reserve, [])] + (
            [_Slots(reserve, ["turn"])] if reserve else []
        )
        self._claimers: list[asyncio.Task[None]] = []

    @property
    def busy(self) -> int:
        """Workers executing a task now."""
        return sum(slots.busy for slots in self._pools)

    @property
    def lease_ms(self) -> int:
        return self._lease_ms

    async def start(self) -> None:
        if self.size > 0 and self._executors.kinds:
            for slots in self._pools:
                name = f"claim-{'-'.join(slots.lanes) or 'all'}"
                self._claimers.append(asyncio.create_task(self._claim_loop(slots), name=name))

    def stop_task(self, task_id: str) -> bool:
        """Stop a task running here whose cancel was asked (CancelTask's fast path; other
        replicas learn it from their next heartbeat). True when it runs here."""
        job = self._running.get(task_id)
        if job is None:
            return False
        self._halt(job, "cancel")
        return True

    async def stop(self) -> None:
        """Drain: claim nothing more, give running tasks `drain_seconds`, then stop them and
        release their leases."""
        for claimer in self._claimers:
            claimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await claimer
        runners = [j.runner for j in self._running.values() if j.runner is not None]
        if not runners:
            return
        _, late = await asyncio.wait(runners, timeout=self._drain_s)
        for job in list(self._running.values()):
            if job.runner in late:
                self._halt(job, "drain")
        await asyncio.gather(*runners, return_exceptions=True)

    # -- claiming ------------------------------------------------------------------------

    async def _claim_loop(self, slots: _Slots) -> None:
        """Lease as many tasks as `slots` has idle workers, long-polling while nothing is
        claimable (two loops poll side by side; the store wakes every waiting claimer)."""
        pause = 0.05
        kinds = self._executors.kinds
        while True:
            slots.free.clear()
            idle = slots.size - slots.busy
            if idle <= 0:
                await slots.free.wait()
                continue
            try:
                claim = Claim(
                    self.worker_id, idle, self._lease_ms, kinds, self._wait_ms, slots.lanes
                )
                asked = time.monotonic()
                got = await self._leases.claim(claim)
            except errors.DomainError as exc:
                log.warning("claim failed: %s %s", exc.code, exc.message)
                await asyncio.sleep(pause)  # the store is down or restarting: back off
                pause = min(pause * 2, 2.0)
                continue
            pause = 0.05
            for task in got:
                self._launch(task, slots, asked)

    def _launch(self, task: store.Task, slots: _Slots, asked: float) -> None:
        job = _Job(task, slots=slots, valid_until=asked + self._lease_ms / 1000)
        self._running[task.id] = job
        slots.busy += 1
        job.runner = asyncio.create_task(self._run(job), name=f"task-{task.id}")

    # -- running -------------------------------------------------------------------------

    def _halt(self, job: _Job, why: str) -> None:
        if job.stop or job.work is None or job.work.done():
            return
        job.stop = why
        job.work.cancel()

    async def _run(self, job: _Job) -> None:
        t = job.task
        executor = self._executors.for_kind(t.kind)
        try:
            self._on_change()
            if executor is None:  # only claimed kinds arrive here; kept for safety
                await self._leases.fail(
                    t.id, t.lease_token, f"unsupported task kind: {t.kind}", False
                )
                return
            job.work = asyncio.create_task(executor.run(t))
            beat = asyncio.create_task(self._heartbeat(job))
            try:
                await asyncio.wait({job.work})
            finally:
                beat.cancel()
            # the worker takes its next task while the outcome travels (acks are batched)
            job.free()
            await self._report(job, job.work)
        except errors.DomainError as exc:
            # not recorded: a stale token (another worker has it now) or the store is down;
            # the lease then runs out and the task is claimed again
            log.warning("task %s outcome not recorded: %s %s", t.id, exc.code, exc.message)
        finally:
            del self._running[t.id]
            job.free()
            self._on_change()

    async def _report(self, job: _Job, work: asyncio.Task[Outcome]) -> None:
        t = job.task
        if job.stop == "lost":
            return
        if work.cancelled():
            await self._leases.release([(t.id, t.lease_token)])
            return
        exc = work.exception()
        if exc is None:
            await self._leases.complete(t.id, t.lease_token, work.result())
            return
        if isinstance(exc, errors.DomainError):
            message, retryable = exc.message or exc.code, exc.code in RETRYABLE
        else:
            log.error("task %s failed", t.id, exc_info=exc)
            message, retryable = f"{type(exc).__name__}: {exc}", True
        await self._leases.fail(t.id, t.lease_token, message[:2000], retryable)

    async def _heartbeat(self, job: _Job) -> None:
        t = job.task
        lease_s = self._lease_ms / 1000
        margin = lease_s / 10  # time for the stopped executor to end before the lease does
        beats = 0
        while True:
            now = time.monotonic()
            # The lease began somewhere in the claim's long poll: when that took a while,
            # beat at once to learn where it stands instead of guessing it too short.
            early = not beats and now - (job.valid_until - lease_s) > lease_s / 3
            wait = 0.0 if early else min(lease_s / 3, job.valid_until - margin - now)
            await asyncio.sleep(max(wait, 0.0))
            left = job.valid_until - margin - time.monotonic()
            if left <= 0 and beats:
                log.warning("task %s: lease not renewed in time, stopping it", t.id)
                self._halt(job, "lost")
                return
            beats += 1
            asked = time.monotonic()
            try:
                beat = self._leases.heartbeat(t.id, t.lease_token, self._lease_ms)
                cancel = await asyncio.wait_for(beat, timeout=left if left > 0 else lease_s / 3)
            except _LOST:
                log.warning("task %s: lease lost, stopping it", t.id)
                self._halt(job, "lost")
                return
            except (errors.DomainError, TimeoutError) as exc:  # store unreachable: retry
                log.warning("task %s: heartbeat failed: %s", t.id, getattr(exc, "code", exc))
                continue
            job.valid_until = asked + lease_s
            if cancel:
                self._halt(job, "cancel")
                return
