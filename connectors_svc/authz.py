"""Who may call which connectors RPC (DESIGN.md §1 "calls", §4).

No service publishes directly: the orchestrator, gateway and scheduler write what they have
to say to the store's delivery ledger (the outbox) and connectors_svc drains it. Publish is
for operators (grpcurl, scripts); the gateway asks for connector status (/api/v1/connectors)."""

from __future__ import annotations

from svckit.authz import AllowList

ALLOW = AllowList(
    {
        "Publish": ["admin:*"],
        "GetConnectorStatus": ["admin:*", "svc:gateway"],
    }
)
