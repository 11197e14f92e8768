"""Objective runs as the scheduler's API shows them, and the API's `status` filter (one of
the store's outcomes). Pure functions over generated messages; no grpc, no I/O."""

from __future__ import annotations

from agent_runtime.scheduler.v1 import resources_pb2 as api
from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.objectives import page_size
from svckit.errors import InvalidArgument

STATUSES = ("queued", "running", "succeeded", "failed", "skipped", "missed")
# A run in one of these states has no task under way or behind it.
_NOT_STARTED = ("queued", "skipped", "missed")


def status_filter(status: str) -> str:
    """The normalised status filter ("" for none); INVALID_ARGUMENT naming `status` otherwise."""
    text = status.strip().lower()
    if text and text not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
    return text


def to_api(run: stored.ObjectiveRun) -> api.ObjectiveRun:
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


async def runs_page(
    store: ObjectiveStore, objective_id: str, status: str, limit: int, page_token: str
) -> tuple[list[api.ObjectiveRun], str]:
    """One page of an objective's runs, newest first (in record order), and the next page's
    token.

    Runs outlive their objective, so an unknown id lists nothing rather than NOT_FOUND. The
    status filter is the store's `outcomes` filter, so pages and their tokens (the store's,
    passed through) count matching runs only."""
    oid = objective_id.strip()
    if not oid:
        raise InvalidArgument("id is required", field="id")
    wanted = status_filter(status)
    items, token = await store.list_runs(
        oid, limit=page_size(limit), page_token=page_token, outcomes=[wanted] if wanted else []
    )
    return [to_api(r) for r in items], token
