"""Who may call which scheduler RPC (DESIGN.md §1 "calls", §4; SPEC.md permissions).

Pausing, resuming, deleting and firing objectives are admin actions: admin certificates, or
the gateway acting for a REST caller it authenticated (`x-acting-admin`) or for a chat user
whose workspace role it checked; qmd reports markdown.updated events. The orchestrator
never calls the scheduler (DESIGN.md §2): its agent tools create and edit objectives in the
store, where the leader picks them up."""

from __future__ import annotations

from svckit.authz import AllowList

_ADMIN = ["admin:*", "svc:gateway"]
_EDITORS = ["admin:*", "svc:gateway"]

ALLOW = AllowList(
    {
        "CreateObjective": _EDITORS,
        "GetObjective": _EDITORS,
        "ListObjectives": _EDITORS,
        "UpdateObjective": _EDITORS,
        "SetObjectiveActive": _ADMIN,
        "DeleteObjective": _ADMIN,
        "RunObjectiveNow": _ADMIN,
        "ListObjectiveRuns": _ADMIN,
        "NotifyEvent": ["admin:*", "svc:gateway", "svc:qmd"],
    }
)
