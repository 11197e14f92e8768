"""Who may call which orchestrator RPC (DESIGN.md §1 "calls", §4; SPEC.md permissions).

Admin RPCs (retry, cancel, replay) admit admin certificates, and the gateway, which calls them
for a REST caller it authenticated (`x-acting-admin`) or for a chat user whose workspace role
it checked; the servicer re-checks that one of the two is asserted when the caller is the
gateway."""

from __future__ import annotations

from svckit.authz import AllowList

_ADMIN = ["admin:*", "svc:gateway"]
# The scheduler enqueues objective runs and follows their tasks.
_PRODUCERS = ["admin:*", "svc:gateway", "svc:scheduler"]

ALLOW = AllowList(
    {
        "EnqueueTask": _PRODUCERS,
        "EnqueueTasks": ["svc:scheduler"],
        "GetTask": _PRODUCERS,
        "ListTasks": _PRODUCERS,
        "WatchTasks": _PRODUCERS,
        "RetryTask": _ADMIN,
        "CancelTask": _ADMIN,
        "RunTurn": ["admin:*", "svc:gateway"],
        "GetQueueStats": _ADMIN,
        "ListDeadLetters": _ADMIN,
        "ReplayDeadLetter": _ADMIN,
    }
)
