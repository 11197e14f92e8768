"""The task vocabulary: kinds, statuses, routing classes, priorities and queue lanes, as the
original spells them (lower-case strings, REFERENCE.md §1.2, §4), plus the routing defaults
the original applies when it routes a task."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = frozenset({"general", "turn", "objective", "action", "reindex_markdown"})
STATUSES = frozenset({"queued", "running", "succeeded", "failed", "canceled", "dead"})
TERMINAL = frozenset({"succeeded", "failed", "canceled", "dead"})
ACTIVE = ("queued", "running")
# Retry copies a task that ended without success (REFERENCE.md §9 "only failed tasks").
RETRYABLE = frozenset({"failed", "dead", "canceled"})
ROUTE_CLASSES = frozenset({"question", "issue", "task", "moderation", "noise"})
PRIORITIES = frozenset({"p1", "p2", "p3"})
# Claimed in this order (SPEC.md "Add": turn before task before background).
LANES = ("turn", "task", "background")

# A chat turn has a person waiting; a /task, an approved action or a one-off API task has a
# person expecting it soon; objective runs and reindex jobs are scheduled housekeeping.
_LANE_OF_KIND = {
    "turn": "turn",
    "general": "task",
    "action": "task",
    "objective": "background",
    "reindex_markdown": "background",
}


def lane_for_kind(kind: str) -> str:
    """The queue lane a task of `kind` is claimed from."""
    return _LANE_OF_KIND.get(kind, "task")


@dataclass(frozen=True, slots=True)
class RouteDefaults:
    """What the original fills in for a routed task (REFERENCE.md §1.2 `/route`)."""

    priority: str
    due_seconds: int  # 0: no due time
    lane: str


ROUTE_DEFAULTS = {
    "moderation": RouteDefaults("p1", 2 * 3600, "moderation"),
    "issue": RouteDefaults("p2", 8 * 3600, "operations"),
    "question": RouteDefaults("p3", 48 * 3600, "support"),
    "task": RouteDefaults("p2", 24 * 3600, "operations"),
    "noise": RouteDefaults("p3", 0, "backlog"),
}
