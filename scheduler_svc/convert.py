"""Stored objectives and runs -> the scheduler's resources (the original's objective map,
REFERENCE.md §9, with the fields the store does not keep derived), and its create and update
requests -> the store's. Pure functions over generated messages, used by the servicer; no
grpc, no I/O."""

from __future__ import annotations

from agent_runtime.scheduler.v1 import resources_pb2 as api
from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from scheduler_svc.objectives import average_ms, health_state

UPCOMING = 5  # fire times listed per objective
# A run in one of these states has no task under way or behind it.
_NOT_STARTED = ("queued", "skipped", "missed")

# When an objective fires, and what it does when a run overlaps, is missed or keeps failing.
_TRIGGER = ("trigger_type", "event_key", "cron_expr", "timezone")
_POLICY = (
    "overlap_policy",
    "catchup_window_seconds",
    "max_consecutive_failures",
    "failure_backoff_seconds",
    "failure_backoff_max_seconds",
)
# Fields that mean the same in both messages and are always set.
_SAME = (
    "id",
    "workspace_id",
    "context_id",
    "title",
    "prompt",
    *_TRIGGER,
    "active",
    "last_error",
    "run_count",
    "success_count",
    "failure_count",
    "consecutive_failures",
    "consecutive_successes",
    "total_run_duration_ms",
    *_POLICY,
    "created_at_unix",
    "updated_at_unix",
)
# proto3 `optional` in both: absent stays absent (JSON null).
_OPTIONAL = (
    "next_run_unix",
    "last_run_unix",
    "last_success_unix",
    "last_failure_unix",
    "run_at_unix",
)
# Set here, not copied (see to_api).
DERIVED = (
    "auto_paused_reason",
    "recent_errors",
    "next_runs_unix",
    "health_state",
    "success_streak",
    "failure_streak",
    "avg_run_duration_ms",
)
MAPPED = (*_SAME, *_OPTIONAL, *DERIVED)

# Fields a create request passes through unchanged.
_CREATE = ("workspace_id", "context_id", "title", "prompt", *_TRIGGER, *_POLICY)
# Optional fields of an update, passed through when set (`next_run_unix` is handled apart).
_UPDATE = ("title", "prompt", *_TRIGGER, "active", "run_at_unix", *_POLICY)


def objective(obj: stored.Objective) -> api.Objective:
    """The objective map of REFERENCE.md §9 for a stored objective."""
    out = api.Objective()
    for name in _SAME:
        setattr(out, name, getattr(obj, name))
    for field, value in obj.ListFields():
        if field.name in _OPTIONAL:
            setattr(out, field.name, value)
    reason = obj.auto_paused_reason.strip()
    if reason:
        out.auto_paused_reason = reason
    out.recent_errors.extend(
        api.RecentError(at_unix=e.at_unix, error=e.error) for e in obj.recent_errors
    )
    # Fire times only mean something for an objective that will fire on a clock.
    if obj.active and obj.trigger_type != "event":
        out.next_runs_unix.extend(obj.next_runs_unix[:UPCOMING])
    out.health_state = health_state(obj.active, reason, obj.consecutive_failures)
    out.success_streak = obj.consecutive_successes
    out.failure_streak = obj.consecutive_failures
    out.avg_run_duration_ms = average_ms(obj.total_run_duration_ms, obj.run_count)
    return out


def create_request(req: rpc.CreateObjectiveRequest, actor: str) -> store_rpc.CreateObjectiveRequest:
    """The store's create request. Explicit times <= 0 mean "none" (as in the original)."""
    out = store_rpc.CreateObjectiveRequest(actor=actor, idempotency_key=req.idempotency_key)
    for name in _CREATE:
        setattr(out, name, getattr(req, name))
    out.next_run_unix = max(req.next_run_unix, 0)
    out.run_at_unix = max(req.run_at_unix, 0)
    if req.HasField("active"):
        out.active = req.active
    return out


def update_request(req: rpc.UpdateObjectiveRequest, actor: str) -> store_rpc.UpdateObjectiveRequest:
    """The store's update request with only the fields the caller set; `next_run_unix` <= 0
    clears the next run so the store plans it again."""
    out = store_rpc.UpdateObjectiveRequest(id=req.id, actor=actor)
    for field, value in req.ListFields():
        if field.name in _UPDATE:
            setattr(out, field.name, value)
    if req.HasField("next_run_unix"):
        out.next_run_unix = max(req.next_run_unix, 0)
    return out


def run(run: stored.ObjectiveRun) -> api.ObjectiveRun:
    """A stored run as the API shows it: started_at_unix is when its task started (0 for a
    run that never started), created_at_unix when the run was recorded."""
    return api.ObjectiveRun(
        id=run.id,
        objective_id=run.objective_id,
        trigger=run.trigger,
        scheduled_for_unix=run.scheduled_for_unix,
        status=run.outcome,
        task_id=run.task_id,
        started_at_unix=0 if run.outcome in _NOT_STARTED else run.started_at_unix,
        finished_at_unix=run.finished_at_unix,
        duration_ms=run.duration_ms,
        error=run.error,
        event_key=run.event_key,
        event_id=run.event_id,
        created_at_unix=run.created_at_unix,
    )
