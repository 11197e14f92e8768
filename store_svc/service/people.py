"""IdentityService and PairingService: thin proto ↔ domain glue."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from agent_runtime.store.v1 import identity_pb2, pairing_pb2
from agent_runtime.store.v1 import identity_service_pb2 as irpc
from agent_runtime.store.v1 import pairing_service_pb2 as prpc
from agent_runtime.store.v1.identity_service_pb2_grpc import IdentityServiceServicer
from agent_runtime.store.v1.pairing_service_pb2_grpc import PairingServiceServicer
from store_svc.convert import to_msg
from store_svc.identities import Identities
from store_svc.pairing import Pairings
from store_svc.workspace_roles import WorkspaceRoles
from svckit.callctx import audit_actor

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]  # unary RPCs: no messages go through it
Ident, User, Pairing = identity_pb2.Identity, identity_pb2.User, pairing_pb2.PairingRequest


class IdentityService(IdentityServiceServicer):
    def __init__(self, identities: Identities, roles: WorkspaceRoles) -> None:
        self._i, self._roles = identities, roles

    async def GetWorkspaceRole(
        self, request: irpc.GetWorkspaceRoleRequest, context: Ctx
    ) -> irpc.GetWorkspaceRoleResponse:
        role, specific = await self._roles.effective(request.user_id, request.workspace_id)
        return irpc.GetWorkspaceRoleResponse(role=role, workspace_specific=specific)

    async def SetWorkspaceRole(
        self, request: irpc.SetWorkspaceRoleRequest, context: Ctx
    ) -> irpc.SetWorkspaceRoleResponse:
        role = await self._roles.set(
            request.user_id, request.workspace_id, request.role, audit_actor()
        )
        return irpc.SetWorkspaceRoleResponse(role=role)

    async def LookupIdentity(
        self, request: irpc.LookupIdentityRequest, context: Ctx
    ) -> irpc.LookupIdentityResponse:
        row = await self._i.lookup(request.connector, request.connector_user_id)
        return irpc.LookupIdentityResponse(identity=to_msg(Ident, row))

    async def GetUser(self, request: irpc.GetUserRequest, context: Ctx) -> irpc.GetUserResponse:
        return irpc.GetUserResponse(user=to_msg(User, await self._i.get_user(request.id)))

    async def CreateUser(
        self, request: irpc.CreateUserRequest, context: Ctx
    ) -> irpc.CreateUserResponse:
        user, ident = await self._i.create_user(
            request.display_name,
            request.role,
            request.email,
            request.connector,
            request.connector_user_id,
            audit_actor(),
        )
        return irpc.CreateUserResponse(
            user=to_msg(User, user), identity=to_msg(Ident, ident) if ident else None
        )

    async def ListIdentities(
        self, request: irpc.ListIdentitiesRequest, context: Ctx
    ) -> irpc.ListIdentitiesResponse:
        rows, token = await self._i.list(
            request.connector,
            request.page_size,
            request.page_token,
            request.user_id,
            request.role,
            request.include_revoked,
        )
        return irpc.ListIdentitiesResponse(
            items=[to_msg(Ident, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def SetUserRole(
        self, request: irpc.SetUserRoleRequest, context: Ctx
    ) -> irpc.SetUserRoleResponse:
        row = await self._i.set_role(request.identity_id, request.role, audit_actor())
        return irpc.SetUserRoleResponse(identity=to_msg(Ident, row))

    async def RevokeIdentity(
        self, request: irpc.RevokeIdentityRequest, context: Ctx
    ) -> irpc.RevokeIdentityResponse:
        row = await self._i.revoke(request.identity_id, audit_actor(), request.reason)
        return irpc.RevokeIdentityResponse(identity=to_msg(Ident, row))


class PairingService(PairingServiceServicer):
    def __init__(self, pairings: Pairings) -> None:
        self._p = pairings

    async def CreatePairing(
        self, request: prpc.CreatePairingRequest, context: Ctx
    ) -> prpc.CreatePairingResponse:
        row, token = await self._p.create(
            request.connector,
            request.connector_user_id,
            request.display_name,
            request.expires_in_sec,
        )
        return prpc.CreatePairingResponse(pairing=to_msg(Pairing, row), token=token)

    async def LookupPairing(
        self, request: prpc.LookupPairingRequest, context: Ctx
    ) -> prpc.LookupPairingResponse:
        return prpc.LookupPairingResponse(
            pairing=to_msg(Pairing, await self._p.lookup(request.token))
        )

    async def ListPairings(
        self, request: prpc.ListPairingsRequest, context: Ctx
    ) -> prpc.ListPairingsResponse:
        rows, token = await self._p.list(request.status, request.page_size, request.page_token)
        return prpc.ListPairingsResponse(
            items=[to_msg(Pairing, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def ApprovePairing(
        self, request: prpc.ApprovePairingRequest, context: Ctx
    ) -> prpc.ApprovePairingResponse:
        row, ident = await self._p.approve(
            request.token,
            request.approver_user_id,
            request.role,
            request.target_user_id,
            request.workspace_id,
        )
        return prpc.ApprovePairingResponse(
            pairing=to_msg(Pairing, row), identity=to_msg(Ident, ident)
        )

    async def DenyPairing(
        self, request: prpc.DenyPairingRequest, context: Ctx
    ) -> prpc.DenyPairingResponse:
        row = await self._p.deny(request.token, request.approver_user_id, request.reason)
        return prpc.DenyPairingResponse(pairing=to_msg(Pairing, row))
