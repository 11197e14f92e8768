"""Who may call which connectors RPC (DESIGN.md §1 "calls", §4).

Publish is called by the orchestrator (task results and notifications, dead-letter replays),
the gateway (replies it delivers itself, heartbeat notices) and the scheduler (auto-pause
notices to a workspace's admin channels)."""

from __future__ import annotations

from svckit.authz import AllowList

ALLOW = AllowList(
    {
        "Publish": ["admin:*", "svc:orchestrator", "svc:gateway", "svc:scheduler"],
        "GetConnectorStatus": ["admin:*", "svc:gateway"],
    }
)
