"""Outcomes reconciled from the tasks (DESIGN.md §2.6): on every tick the leader marks each
queued run whose task has started `running`, and closes each open run whose task has
finished with the task's status and duration, level-triggered, so
no outcome is lost if a notification is (none is sent: the orchestrator never calls the
scheduler). A failure moves the next run back by the failure backoff; the store pauses the
objective after `max_consecutive_failures` in a row and, in the same transaction, queues the
notice to the workspace's admin channels in its outbox. No grpc."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent_runtime.orchestrator.v1 import resources_pb2 as orch
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from scheduler_svc.deps import ObjectiveStore, TaskQueue
from scheduler_svc.leader import LEASE_NAME
from svckit import errors, schedule

log = logging.getLogger("scheduler_svc.outcomes")

FINISHED = ("succeeded", "failed", "canceled", "dead")
PAGE = 500


@dataclass(frozen=True)
class FailurePolicy:
    """The service's defaults for objectives that set none of their own."""

    max_consecutive_failures: int = 5
    backoff_seconds: int = 60
    backoff_max_seconds: int = 1800

    def pause_after(self, obj: stored.Objective) -> int:
        return obj.max_consecutive_failures or self.max_consecutive_failures

    def backoff(self, obj: stored.Objective, failures: int) -> int:
        """`failure_backoff_seconds x 2^(n-1)`, capped at `failure_backoff_max_seconds`."""
        base = obj.failure_backoff_seconds or self.backoff_seconds
        cap = obj.failure_backoff_max_seconds or self.backoff_max_seconds
        return int(min(base * 2 ** max(failures - 1, 0), cap))


def outcome_of(task: orch.Task) -> tuple[str, str, int]:
    """(outcome, error, duration ms) of a finished task."""
    started = task.started_at_unix or task.finished_at_unix
    duration = max(task.finished_at_unix - started, 0) * 1000 if started else 0
    if task.status == "succeeded":
        return "succeeded", "", duration
    error = task.error_message.strip() or f"task {task.status}"
    return "failed", error if task.status == "failed" else f"task {task.status}: {error}", duration


def backed_off(obj: stored.Objective, policy: FailurePolicy, now: int) -> int | None:
    """The next run after one more failure: no earlier than the backoff, on the schedule's
    grid (None for objectives that do not fire on a clock)."""
    if obj.trigger_type != "schedule" or not obj.HasField("next_run_unix"):
        return None
    earliest = now + policy.backoff(obj, obj.consecutive_failures + 1)
    if obj.next_run_unix >= earliest:
        return None
    try:
        cad = schedule.parse(obj.cron_expr, obj.timezone)
    except errors.InvalidArgument:
        return earliest
    if cad.cron is None:  # `@every`: stay on the interval's grid
        steps = -(-(earliest - obj.next_run_unix) // cad.every_s)
        return obj.next_run_unix + steps * cad.every_s
    return cad.next_after(earliest - 1)


class Reconciler:
    """Closes the open runs whose tasks have finished."""

    def __init__(
        self,
        objectives: ObjectiveStore,
        tasks: TaskQueue,
        policy: FailurePolicy,
    ) -> None:
        self._store, self._tasks, self._policy = objectives, tasks, policy
        self.closed = 0

    async def open_runs(self) -> list[stored.ObjectiveRun]:
        """Every queued or running run, of every objective."""
        found, page = [], ""
        while True:
            runs, page = await self._store.open_runs(PAGE, page)
            found.extend(runs)
            if not page:
                return found

    async def close(self, runs: list[stored.ObjectiveRun], now: int, token: int) -> int:
        """Close those of `runs` whose task has finished; how many were closed."""
        closed = 0
        for run in runs:
            if await self._close(run, now, token):
                closed += 1
        self.closed += closed
        return closed

    async def _started(self, run: stored.ObjectiveRun, task: orch.Task, token: int) -> None:
        request = store_rpc.StartObjectiveRunRequest(
            run_id=run.id,
            started_at_unix=task.started_at_unix,
            lease_name=LEASE_NAME,
            fencing_token=token,
        )
        try:
            await self._store.start(request)
        except errors.FailedPrecondition as exc:
            if not exc.details.get("outcome"):
                raise  # a deposed leader: the loop stops leading
            # closed meanwhile (by a previous leader): nothing to do

    async def _close(self, run: stored.ObjectiveRun, now: int, token: int) -> bool:
        if not run.task_id:
            return False
        try:
            task = await self._tasks.get(run.task_id)
        except errors.NotFound:
            task = orch.Task(status="failed", error_message="the run's task does not exist")
        if task.status == "running" and run.outcome == "queued":
            await self._started(run, task, token)
            return False
        if task.status not in FINISHED:
            return False
        outcome, error, duration = outcome_of(task)
        request = store_rpc.FinishObjectiveRunRequest(
            run_id=run.id,
            outcome=outcome,
            error=error,
            duration_ms=duration,
            lease_name=LEASE_NAME,
            fencing_token=token,
        )
        if task.started_at_unix:
            request.started_at_unix = task.started_at_unix
        try:
            obj: stored.Objective | None = await self._store.get(run.objective_id)
        except errors.NotFound:
            obj = None  # deleted: its run is still closed, for the history
        if obj is not None:
            request.auto_pause_after_failures = self._policy.pause_after(obj)
            nxt = backed_off(obj, self._policy, now) if outcome == "failed" else None
            if nxt is not None:
                request.next_run_unix = nxt
        try:
            after = await self._store.finish(request)
        except errors.FailedPrecondition as exc:
            if exc.details.get("outcome"):
                return False  # closed meanwhile (by a previous leader): nothing to do
            raise
        if obj is not None and obj.active and not after.active and after.auto_paused_reason:
            # the store queued the notice to the admin channels in the same transaction
            log.warning(
                "objective auto-paused: %s",
                after.auto_paused_reason,
                extra={"objective_id": obj.id},
            )
        return True
