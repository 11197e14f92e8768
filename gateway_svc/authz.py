"""Who may call which gateway RPC (DESIGN.md §1 "calls", §4; SPEC.md permissions).

The REST shim runs inside this process and calls these RPCs with the gateway's own
certificate, asserting the admin it authenticated in `x-acting-admin`; so every REST-exposed
RPC admits `svc:gateway` besides admin certificates, and the servicer re-checks that an
acting admin is asserted for admin RPCs (pairing decisions, approvals, identities).
Connectors deliver inbound messages and may open pairing requests for `pair` in a DM."""

from __future__ import annotations

from svckit.authz import AllowList

_ADMIN = ["admin:*", "svc:gateway"]

ALLOW = AllowList(
    {
        "HandleMessage": ["admin:*", "svc:connectors"],
        "Chat": _ADMIN,
        "ListCommands": ["admin:*", "svc:gateway", "svc:connectors"],
        "StartPairing": ["admin:*", "svc:gateway", "svc:connectors"],
        "LookupPairing": _ADMIN,
        "ListPairings": _ADMIN,
        "ApprovePairing": _ADMIN,
        "DenyPairing": _ADMIN,
        "ListApprovals": _ADMIN,
        "GetApproval": _ADMIN,
        "ApproveAction": _ADMIN,
        "DenyAction": _ADMIN,
        "ListIdentities": _ADMIN,
        "SetIdentityRole": _ADMIN,
        "RevokeIdentity": _ADMIN,
        "GetInfo": _ADMIN,
        "GetHeartbeat": _ADMIN,
    }
)
