"""Validating what a caller asks to enqueue into a `TaskDraft`, the task as it will be
persisted; and drafting the copy that retries a finished task. Pure: no I/O, no grpc."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agent_runtime.store.v1.task_pb2 import Task as StoredTask
from orchestrator_svc import vocab
from svckit.errors import FailedPrecondition, InvalidArgument

REQUIRED = ("workspace_id", "context_id", "title", "prompt")
# Where the request came from (the chat message behind it).
_SOURCE = ("source_connector", "source_external_id", "source_user_id", "source_text")
_TEXT = ("assigned_lane", *_SOURCE, "run_key", "objective_id", "objective_run_id")
MAX_ATTEMPTS = 100


@dataclass(frozen=True, slots=True)
class TaskDraft:
    """A valid task, not yet stored. Empty strings and zeros mean "not set"."""

    workspace_id: str
    context_id: str
    title: str
    prompt: str
    kind: str = "general"
    lane: str = "task"
    route_class: str = ""
    priority: str = ""
    due_at_unix: int = 0
    assigned_lane: str = ""
    source_connector: str = ""
    source_external_id: str = ""
    source_user_id: str = ""
    source_text: str = ""
    run_key: str = ""
    max_attempts: int = 0
    not_before_unix: int = 0
    retry_of_task: str = ""
    objective_id: str = ""
    objective_run_id: str = ""


@dataclass(frozen=True, slots=True)
class Created:
    """The stored task; `created` is False when its run_key already existed."""

    task: StoredTask
    created: bool


def _text(fields: Mapping[str, object], name: str) -> str:
    return str(fields.get(name) or "").strip()


def _word(
    fields: Mapping[str, object], name: str, allowed: frozenset[str] | tuple[str, ...]
) -> str:
    value = _text(fields, name).lower()
    if value and value not in allowed:
        raise InvalidArgument(
            f"{name} must be one of {', '.join(sorted(allowed))}", field=name, value=value
        )
    return value


def _int(fields: Mapping[str, object], name: str) -> int:
    value = fields.get(name) or 0
    return value if isinstance(value, int) else int(str(value))


def draft_task(fields: Mapping[str, object], now_unix: int) -> TaskDraft:
    """The task an EnqueueTask request describes, or InvalidArgument naming the bad field.

    Values are trimmed first (whitespace-only required fields are missing, unlike the
    original). A routed task without priority, due time or lane gets its class defaults, as
    every routing path of the original does; an unrouted task keeps what was given."""
    for name in REQUIRED:
        if not _text(fields, name):
            raise InvalidArgument(f"{name} is required", field=name)
    kind = _word(fields, "kind", vocab.KINDS) or "general"
    route_class = _word(fields, "route_class", vocab.ROUTE_CLASSES)
    priority = _word(fields, "priority", vocab.PRIORITIES)
    lane = _word(fields, "queue_lane", vocab.LANES) or vocab.lane_for_kind(kind)
    max_attempts = _int(fields, "max_attempts")
    if not 0 <= max_attempts <= MAX_ATTEMPTS:
        raise InvalidArgument(
            f"max_attempts must be between 1 and {MAX_ATTEMPTS} (0 for the default)",
            field="max_attempts",
        )
    due = max(_int(fields, "due_at_unix"), 0)
    text = {name: _text(fields, name) for name in _TEXT}
    if route_class:
        defaults = vocab.ROUTE_DEFAULTS[route_class]
        priority = priority or defaults.priority
        if not due and defaults.due_seconds:
            due = now_unix + defaults.due_seconds
        text["assigned_lane"] = text["assigned_lane"] or defaults.lane
    return TaskDraft(
        **{name: _text(fields, name) for name in REQUIRED},
        kind=kind,
        lane=lane,
        route_class=route_class,
        priority=priority,
        due_at_unix=due,
        max_attempts=max_attempts,
        not_before_unix=max(_int(fields, "not_before_unix"), 0),
        **text,
    )


def draft_retry(old: StoredTask) -> TaskDraft:
    """A new task copying workspace, context, kind, title, prompt, routing and source fields
    of `old`, which must have ended without success (failed, dead or canceled). Attempts start
    again at 0; run_key and objective links stay with the original."""
    if old.status not in vocab.RETRYABLE:
        raise FailedPrecondition("only failed tasks can be retried", status=old.status)
    return TaskDraft(
        workspace_id=old.workspace_id,
        context_id=old.context_id,
        title=old.title,
        prompt=old.prompt,
        kind=old.kind,
        lane=old.lane or vocab.lane_for_kind(old.kind),
        route_class=old.route_class,
        priority=old.priority,
        due_at_unix=old.due_at_unix,
        assigned_lane=old.assigned_lane,
        source_connector=old.source_connector,
        source_external_id=old.source_external_id,
        source_user_id=old.source_user_id,
        source_text=old.source_text,
        retry_of_task=old.id,
    )
