"""Objective runs as the scheduler serves them: the API's `status` filter (one of the store's
outcomes) and pages of an objective's runs from the store. (Their mapping to the API's
messages is in convert.py.) No grpc."""

from __future__ import annotations

from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.objectives import page_size
from svckit.errors import InvalidArgument

STATUSES = ("queued", "running", "succeeded", "failed", "skipped", "missed")


def status_filter(status: str) -> str:
    """The normalised status filter ("" for none); INVALID_ARGUMENT naming `status` otherwise."""
    text = status.strip().lower()
    if text and text not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
    return text


async def runs_page(
    store: ObjectiveStore, objective_id: str, status: str, limit: int, page_token: str
) -> tuple[list[stored.ObjectiveRun], str]:
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
    return items, token
