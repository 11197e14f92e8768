"""Objective runs as the scheduler's API shows them, and the status filter the store's run
history does not have. Pure functions; no grpc, no I/O."""

from __future__ import annotations

from agent_runtime.scheduler.v1 import resources_pb2 as api
from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.objectives import MAX_LIMIT, page_offset, page_size
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
    """A stored run as the API shows it. The store stamps a run when it records it, which is
    also when its task (if any) was handed over; a run that never started shows 0."""
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
        created_at_unix=run.started_at_unix,
    )


async def runs_page(
    store: ObjectiveStore, objective_id: str, status: str, limit: int, page_token: str
) -> tuple[list[api.ObjectiveRun], str]:
    """One page of an objective's runs, newest first, and the next page's token.

    Runs outlive their objective, so an unknown id lists nothing rather than NOT_FOUND.
    Page tokens are offsets into the store's history; with a status filter (which the store
    does not have) pages are read until `limit` runs match, and the token points just past
    the last run returned."""
    oid = objective_id.strip()
    if not oid:
        raise InvalidArgument("id is required", field="id")
    wanted, size = status_filter(status), page_size(limit)
    if not wanted:
        items, token = await store.list_runs(oid, limit=size, page_token=page_token)
        return [to_api(r) for r in items], token
    offset, out = page_offset(page_token), []
    while True:
        items, token = await store.list_runs(oid, limit=MAX_LIMIT, page_token=str(offset))
        for i, run in enumerate(items):
            if run.outcome != wanted:
                continue
            out.append(to_api(run))
            if len(out) == size:
                more = i + 1 < len(items) or bool(token)
                return out, str(offset + i + 1) if more else ""
        if not token:
            return out, ""
        offset += len(items)
