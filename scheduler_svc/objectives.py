"""Objectives as the scheduler serves them: the original's health rule and figures, and
pages of a workspace's objectives from the store. (Their mapping to the API's messages is
in convert.py.) No grpc."""

from __future__ import annotations

from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from svckit.errors import InvalidArgument

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def health_state(active: bool, auto_paused_reason: str, consecutive_failures: int) -> str:
    """The original's rule: paused automatically, paused by hand, failing, or fine."""
    if not active:
        return "auto_paused" if auto_paused_reason else "paused"
    return "degraded" if consecutive_failures > 0 else "healthy"


def average_ms(total_ms: int, runs: int) -> int:
    """Mean run duration in whole milliseconds; 0 before the first run."""
    return total_ms // runs if runs > 0 else 0


def page_size(limit: int) -> int:
    """The original's `limit`: non-positive means the default, and at most MAX_LIMIT."""
    return DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)


async def list_page(
    store: ObjectiveStore,
    workspace_id: str,
    active_only: bool | None,
    limit: int,
    page_token: str,
) -> tuple[list[stored.Objective], str]:
    """One page of a workspace's objectives, oldest first (in creation order), and the next
    page's token.

    The original's query semantics: `workspace_id` is required, `active_only` is
    absent-means-true (None: absent) and `limit` defaults to 50. The page token is the
    store's, passed through untouched: opaque, and pointing past the last objective
    returned, so pages reach every objective of a workspace and objectives created meanwhile
    do not shift them."""
    if not workspace_id.strip():
        raise InvalidArgument("workspace_id is required", field="workspace_id")
    items, token = await store.list(
        workspace_id,
        active_only=True if active_only is None else active_only,
        limit=page_size(limit),
        page_token=page_token,
    )
    return items, token
