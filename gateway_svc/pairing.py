"""Pairing: start a request (token shown once), look it up, approve or deny it (admins).

SPEC.md "Fix": the new identity gets the role the approver chooses, default `member`, never
the approver's own role; the approver is the acting admin, not a name taken from the body."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2
from gateway_svc import convert
from gateway_svc.deps import PairingStore
from svckit import callctx
from svckit.errors import InvalidArgument, PermissionDenied

DEFAULT_ROLE = "member"
_REQUIRED = ("connector", "connector_user_id", "display_name")


def acting_approver(named: str) -> str:
    """The acting admin; a different `approver_user_id` in the body would forge the record."""
    who = callctx.require_admin()
    given = named.strip()
    if given and given not in (who, who.removeprefix("admin:")):
        raise PermissionDenied(
            f"approver_user_id must be the authenticated admin ({who}) or empty",
            field="approver_user_id",
        )
    return who


def _token(token: str) -> str:
    text = token.strip()
    if not text:
        raise InvalidArgument("token is required", field="token")
    return text


class Pairings:
    """Pairing RPCs over the store's PairingService."""

    def __init__(self, store: PairingStore) -> None:
        self._store = store

    async def start(self, req: service_pb2.StartPairingRequest) -> service_pb2.StartPairingResponse:
        missing = [name for name in _REQUIRED if not getattr(req, name).strip()]
        if missing:
            raise InvalidArgument(
                "connector, connector_user_id and display_name are required", field=missing[0]
            )
        row, token = await self._store.create(
            req.connector.strip(),
            req.connector_user_id.strip(),
            req.display_name.strip(),
            req.expires_in_sec,  # 0: the store's default, 600 s
        )
        return service_pb2.StartPairingResponse(
            id=row.id,
            token=token,
            token_hint=row.token_hint,
            connector=row.connector,
            connector_user_id=row.connector_user_id,
            display_name=row.display_name,
            status=row.status,
            expires_at_unix=row.expires_at_unix,
        )

    async def lookup(
        self, req: service_pb2.LookupPairingRequest
    ) -> service_pb2.LookupPairingResponse:
        callctx.require_admin()
        row = await self._store.lookup(_token(req.token))
        return service_pb2.LookupPairingResponse(pairing=convert.pairing(row))

    async def approve(
        self, req: service_pb2.ApprovePairingRequest
    ) -> service_pb2.ApprovePairingResponse:
        who = acting_approver(req.approver_user_id)
        role = req.role.strip().lower() or DEFAULT_ROLE
        row, ident = await self._store.approve(
            _token(req.token), who, role, req.target_user_id.strip()
        )
        return service_pb2.ApprovePairingResponse(
            id=row.id,
            status=row.status,
            approved_user_id=row.approved_user_id,
            approver_user_id=row.approver_user_id,
            identity_id=ident.id,
            connector=row.connector,
            connector_user_id=row.connector_user_id,
        )

    async def deny(self, req: service_pb2.DenyPairingRequest) -> service_pb2.DenyPairingResponse:
        who = acting_approver(req.approver_user_id)
        reason = req.reason.strip()
        if not reason:
            raise InvalidArgument("reason is required", field="reason")
        row = await self._store.deny(_token(req.token), who, reason)
        return service_pb2.DenyPairingResponse(
            id=row.id,
            status=row.status,
            approver_user_id=row.approver_user_id,
            denied_reason=row.denied_reason,
        )
