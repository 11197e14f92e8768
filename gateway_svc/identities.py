"""Identities: list linked chat accounts, change a user's role, revoke a link (SPEC.md
permissions: `overlord`; an admin certificate, or a REST call of one, stands for that).
The store writes the audit entry of every change, with the acting admin as its actor."""

from __future__ import annotations

import builtins

from agent_runtime.store.v1 import identity_pb2
from gateway_svc.deps import IdentityQuery, IdentityStore
from svckit import callctx
from svckit.errors import InvalidArgument


def _id(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument("id is required", field="id")
    return text


class Identities:
    """Linked identities over the store's IdentityService (admins only)."""

    def __init__(self, store: IdentityStore) -> None:
        self._store = store

    async def list(
        self, query: IdentityQuery, limit: int, page_token: str
    ) -> tuple[builtins.list[identity_pb2.Identity], str]:
        """One page and the next page's token ("" on the last)."""
        callctx.require_admin()
        if limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        # The store filters (connector, user, role, active or also revoked) and pages.
        wanted = IdentityQuery(
            connector=query.connector.strip(),
            user_id=query.user_id.strip(),
            role=query.role.strip().lower(),
            include_revoked=query.include_revoked,
        )
        return await self._store.list(wanted, limit, page_token)

    async def set_role(self, identity_id: str, role: str) -> identity_pb2.Identity:
        who = callctx.require_admin()
        if not role.strip():
            raise InvalidArgument("role is required", field="role")
        return await self._store.set_role(_id(identity_id), role, who)

    async def revoke(self, identity_id: str, reason: str) -> identity_pb2.Identity:
        who = callctx.require_admin()
        # The store revokes in place: status, time and reason are its own.
        return await self._store.revoke(_id(identity_id), who, reason.strip())
