"""Firing an objective: one orchestrator task (idempotent through its run_key) and one
recorded run, under the objective's overlap policy; and the catch-up rule for a due
schedule. No grpc: the store and the orchestrator come in as Protocols.

Each record tells the store the objective's next run (RecordObjectiveRun stores it, 0
clears it), so a firing that fails half-way leaves the objective due and is retried at the
next tick; the run_key makes the retry find the task it already made, and the store keeps
one run per task.

The firings of one objective in this process (the leader's tick, RunObjectiveNow, events)
take turns: the overlap check, the enqueue and the record happen as one step, so a manual
run and a due slot arriving together are judged by the overlap policy one after the other
and never both start under `skip`. Across replicas (RunObjectiveNow is served by any), the
store judges the overlap again when it reserves the run, before the task is enqueued, in
one transaction per objective; the task is then attached to the reserved run (found by the
firing's run key), which is when the objective's next run moves on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from agent_runtime.orchestrator.v1 import service_pb2 as orch_rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from scheduler_svc import slots
from scheduler_svc.deps import ObjectiveStore, TaskQueue
from scheduler_svc.leader import LEASE_NAME
from svckit import errors

log = logging.getLogger("scheduler_svc.firing")

ACTIVE = ("queued", "running")  # task states of a run still under way


@dataclass(frozen=True)
class Firing:
    """One reason to fire: a slot, a manual request or an event."""

    trigger: str  # schedule, catch_up, at, event or manual
    run_key: str
    scheduled_for: int = 0
    event_key: str = ""
    event_id: str = ""
    note: str = ""  # appended to the prompt (the event's data)


@dataclass(frozen=True)
class Fired:
    """What came of a firing: the run (recorded, or for a duplicate the one found or a
    skipped stand-in) and whether a new task was enqueued."""

    run: stored.ObjectiveRun
    created: bool


class Firer:
    """Fires objectives into the orchestrator and records their runs in the store."""

    def __init__(self, objectives: ObjectiveStore, tasks: TaskQueue, catchup_seconds: int) -> None:
        self._store, self._tasks, self._catchup = objectives, tasks, catchup_seconds
        self.missed = 0  # slots recorded as missed (the scheduler_missed_slots metric)
        # per objective: its lock and how many firings hold or wait for it
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}
        # Runs this process started (queued), counted; per objective, the count at its last.
        # The leader's tick reads the open runs once (`snapshot` just before): an objective it
        # saw idle that started a run since (RunObjectiveNow racing the tick) is checked anyway.
        self._started = 0
        self._started_at: dict[str, int] = {}

    def snapshot(self) -> int:
        """The count of started runs now, for `idle_as_of`. What was started before cannot
        matter to this snapshot or a later one (the leader takes one per tick), so it is
        forgotten."""
        self._started_at.clear()
        return self._started

    @contextlib.asynccontextmanager
    async def _turn(self, objective_id: str) -> AsyncIterator[None]:
        """One firing of the objective at a time in this process."""
        lock, users = self._turns.get(objective_id, (asyncio.Lock(), 0))
        self._turns[objective_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[objective_id]
            if users == 1:
                del self._turns[objective_id]
            else:
                self._turns[objective_id] = (lock, users - 1)

    def window(self, obj: stored.Objective) -> int:
        """The objective's catch-up window, or the service's when it has none of its own."""
        return obj.catchup_window_seconds or self._catchup

    async def fire_due(
        self,
        obj: stored.Objective,
        now: int,
        token: int = 0,
        may_be_busy: bool = True,
        idle_as_of: int | None = None,
    ) -> Fired | None:
        """Fire a due schedule or `at` objective once, record older missed slots, and move
        its next run past now. None when nothing fired (every slot was missed, or a
        `buffer-one` objective holds its slot until the previous run ends). `token` is the
        leader lease's fencing token the records carry; `may_be_busy` False: the caller knew
        the objective had no open run when the started-run count was `idle_as_of` (the
        overlap check is skipped unless this process started one of its runs since)."""
        plan = slots.plan(obj, now, self.window(obj))
        buffered = plan.fire is not None and obj.overlap_policy == "buffer-one"
        if buffered and may_be_busy and await self._busy(obj) is not None:
            return None  # the slot stays due: it fires once the previous run has ended
        keep = obj.next_run_unix  # until the last record, the objective stays due
        why = f"missed: outside the catch-up window of {self.window(obj)} s"
        on_time = "at" if obj.trigger_type == "at" else "schedule"
        for i, slot in enumerate(plan.missed):
            last = plan.fire is None and i == len(plan.missed) - 1
            note = why
            if i == 0 and plan.unlisted_since:  # never silent: say what is not listed
                note += f"; the missed slots from {plan.unlisted_since} to here are not listed"
            await self._record(
                obj,
                "missed",
                on_time,
                slot,
                plan.next_run if last else keep,
                error=note,
                token=token,
            )
            self.missed += 1
        if plan.fire is None:
            return None
        firing = Firing(plan.trigger, f"objective:{obj.id}:{plan.fire}", scheduled_for=plan.fire)
        return await self.fire(obj, firing, plan.next_run, token, may_be_busy, idle_as_of)

    async def fire(
        self,
        obj: stored.Objective,
        firing: Firing,
        next_run: int,
        token: int = 0,
        may_be_busy: bool = True,
        idle_as_of: int | None = None,
    ) -> Fired:
        """Enqueue the firing's task and record its run (queued), or record it skipped when
        the overlap policy says the previous run is still under way. `token`: the fencing
        token of the leader lease (0 for API calls, which any replica serves)."""
        async with self._turn(obj.id):
            if idle_as_of is not None and self._started_at.get(obj.id, -1) > idle_as_of:
                may_be_busy = True
            return await self._fire(obj, firing, next_run, token, may_be_busy)

    async def _fire(
        self, obj: stored.Objective, firing: Firing, next_run: int, token: int, may_be_busy: bool
    ) -> Fired:
        # an event's duplicate is told apart here; any other overlap is judged by the store
        # when it reserves the run (below), in one step with the reservation
        found_busy = await self._busy(obj) if may_be_busy and firing.event_id else None
        if found_busy is not None:
            busy, busy_key = found_busy
            if firing.event_id and busy.event_id == firing.event_id:
                return Fired(_duplicate(obj, firing, busy.task_id), created=False)
            if busy_key == firing.run_key:  # this very firing again (an idempotency key)
                return Fired(busy, created=False)
            why = f"skipped: the previous run (task {busy.task_id}) is still under way"
            run = await self._record(
                obj,
                "skipped",
                firing.trigger,
                firing.scheduled_for,
                next_run,
                firing,
                error=why,
                token=token,
            )
            return Fired(run, created=False)
        if obj.overlap_policy != "allow":
            # the overlap judged again in the store, atomically with reserving the run, for
            # a firing of the same objective by another replica (a RunObjectiveNow racing
            # the leader's tick): one of them is recorded skipped
            reserved = await self._record(
                obj,
                "queued",
                firing.trigger,
                firing.scheduled_for,
                next_run,
                firing,
                token=token,
                judge=True,
            )
            if reserved.outcome != "queued" or reserved.task_id:
                return Fired(reserved, created=False)  # skipped, or this firing again
        task, created = await self._tasks.enqueue(_task_request(obj, firing))
        if not created:
            found = await self._run_of(obj.id, task.id)
            if found is not None:  # an earlier attempt recorded it; its record moved next run
                dup = _duplicate(obj, firing, task.id) if firing.event_id else found
                return Fired(dup, created=False)
        run = await self._record(
            obj,
            "queued",
            firing.trigger,
            firing.scheduled_for,
            next_run,
            firing,
            task_id=task.id,
            token=token,
        )
        self._started += 1
        self._started_at[obj.id] = self._started
        log.info(
            "objective fired",
            extra={"objective_id": obj.id, "task_id": task.id, "trigger": firing.trigger},
        )
        return Fired(run, created=created)

    async def run_now(self, objective_id: str, now_ms: int, key: str = "") -> Fired:
        """Fire an objective once, now, outside its schedule (paused ones too: an admin asked);
        its next run stays as it is. With an idempotency `key`, a repeat returns the first
        request's run."""
        oid = objective_id.strip()
        if not oid:
            raise errors.InvalidArgument("id is required", field="id")
        obj = await self._store.get(oid)
        firing = Firing("manual", f"objective:{oid}:manual:{key.strip() or now_ms}")
        return await self.fire(obj, firing, obj.next_run_unix)

    async def _busy(self, obj: stored.Objective) -> tuple[stored.ObjectiveRun, str] | None:
        """The newest run whose task is still queued or running, and that task's run key,
        unless overlaps are allowed."""
        if obj.overlap_policy == "allow":
            return None
        runs, _ = await self._store.list_runs(
            obj.id, limit=1, page_token="", outcomes=["queued", "running"]
        )
        if not runs or not runs[0].task_id:
            return None
        try:
            task = await self._tasks.get(runs[0].task_id)
        except errors.NotFound:
            return None
        return (runs[0], task.run_key) if task.status in ACTIVE else None

    async def _run_of(self, objective_id: str, task_id: str) -> stored.ObjectiveRun | None:
        runs, _ = await self._store.list_runs(objective_id, limit=50, page_token="")
        return next((r for r in runs if r.task_id == task_id), None)

    async def _record(
        self,
        obj: stored.Objective,
        outcome: str,
        trigger: str,
        slot: int,
        next_run: int,
        firing: Firing | None = None,
        *,
        task_id: str = "",
        error: str = "",
        token: int = 0,
        judge: bool = False,
    ) -> stored.ObjectiveRun:
        request = store_rpc.RecordObjectiveRunRequest(
            objective_id=obj.id,
            outcome=outcome,
            trigger=trigger,
            scheduled_for_unix=slot,
            next_run_unix=next_run,
            task_id=task_id,
            error=error,
            event_key=firing.event_key if firing else "",
            event_id=firing.event_id if firing else "",
            lease_name=LEASE_NAME if token else "",
            fencing_token=token,
            run_key=firing.run_key if firing else "",
            judge_overlap=judge,
        )
        _, run = await self._store.record(request)
        return run


def _task_request(obj: stored.Objective, firing: Firing) -> orch_rpc.EnqueueTaskRequest:
    prompt = f"{obj.prompt}\n\n{firing.note}" if firing.note else obj.prompt
    return orch_rpc.EnqueueTaskRequest(
        workspace_id=obj.workspace_id,
        context_id=obj.context_id,
        title=obj.title,
        prompt=prompt,
        kind="objective",
        run_key=firing.run_key,
        objective_id=obj.id,
    )


def _duplicate(obj: stored.Objective, firing: Firing, task_id: str) -> stored.ObjectiveRun:
    """The answer for an event that already fired this objective: not recorded again."""
    return stored.ObjectiveRun(
        objective_id=obj.id,
        outcome="skipped",
        trigger=firing.trigger,
        task_id=task_id,
        error=f"duplicate: event {firing.event_id} already fired this objective",
        event_key=firing.event_key,
        event_id=firing.event_id,
    )
