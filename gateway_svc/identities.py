"""Identities: list linked chat accounts, change a user's role, revoke a link (SPEC.md
permissions: `overlord`; an admin certificate, or a REST call of one, stands for that).
The store writes the audit entry of every change, with the acting admin as its actor."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2
from gateway_svc import convert
from gateway_svc.deps import IdentityStore
from svckit import callctx
from svckit.errors import InvalidArgument


def _id(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument("id is required", field="id")
    return text


class Identities:
    """Identity RPCs over the store's IdentityService."""

    def __init__(self, store: IdentityStore) -> None:
        self._store = store

    async def list(
        self, req: service_pb2.ListIdentitiesRequest
    ) -> service_pb2.ListIdentitiesResponse:
        callctx.require_admin()
        if req.limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        # The store filters (connector, user, role, active or also revoked) and pages.
        rows, next_token = await self._store.list(
            req.connector.strip(),
            req.user_id.strip(),
            req.role.strip().lower(),
            req.include_revoked,
            req.limit,
            req.page_token,
        )
        items = [convert.identity(r) for r in rows]
        return service_pb2.ListIdentitiesResponse(
            items=items, count=len(items), next_page_token=next_token
        )

    async def set_role(
        self, req: service_pb2.SetIdentityRoleRequest
    ) -> service_pb2.SetIdentityRoleResponse:
        who = callctx.require_admin()
        if not req.role.strip():
            raise InvalidArgument("role is required", field="role")
        row = await self._store.set_role(_id(req.id), req.role, who)
        return service_pb2.SetIdentityRoleResponse(identity=convert.identity(row))

    async def revoke(
        self, req: service_pb2.RevokeIdentityRequest
    ) -> service_pb2.RevokeIdentityResponse:
        who = callctx.require_admin()
        # The store revokes in place: status, time and reason are its own.
        row = await self._store.revoke(_id(req.id), who, req.reason.strip())
        return service_pb2.RevokeIdentityResponse(identity=convert.identity(row))
