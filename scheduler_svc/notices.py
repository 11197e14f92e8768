"""The auto-pause notice to a workspace's admin channels: its text and its outbox key (one
notice per objective, pause and channel, however often it is queued). Pure; no I/O."""

from __future__ import annotations

from agent_runtime.store.v1 import objective_pb2 as stored


def auto_paused_text(obj: stored.Objective) -> str:
    """What the admins read, with how to resume."""
    return (
        f"Objective paused: {obj.title} ({obj.id}) was {obj.auto_paused_reason}."
        f" Last error: {obj.last_error or 'none recorded'}."
        f' Resume it with POST /api/v1/objectives/active {{"id": "{obj.id}", "active": true}}'
        " or from the TUI's objectives view."
    )


def auto_paused_key(obj: stored.Objective, context_id: str) -> str:
    """The delivery's idempotency key: the failure count tells one pause from the next."""
    return f"objective:{obj.id}:auto-paused:{obj.failure_count}:{context_id}"
