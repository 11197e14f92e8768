"""GrantService: sensitive-tool grants per context (admins grant and revoke; the orchestrator
reads them, and CreateApproval with `use_grant` consults them in its own transaction)."""

from __future__ import annotations

from agent_runtime.store.v1 import grant_service_pb2 as grpb
from agent_runtime.store.v1.grant_service_pb2_grpc import GrantServiceServicer
from store_svc.convert import to_msg
from store_svc.grants import Grants
from store_svc.service.work import Ctx
from svckit.callctx import audit_actor, require_admin


class GrantService(GrantServiceServicer):
    def __init__(self, grants: Grants) -> None:
        self._g = grants

    async def GrantSensitiveTools(
        self, request: grpb.GrantSensitiveToolsRequest, context: Ctx
    ) -> grpb.GrantSensitiveToolsResponse:
        require_admin()
        row = await self._g.grant(
            request.workspace_id, request.context_id, request.ttl_seconds, audit_actor()
        )
        return grpb.GrantSensitiveToolsResponse(grant=to_msg(grpb.SensitiveGrant, row))

    async def GetSensitiveGrant(
        self, request: grpb.GetSensitiveGrantRequest, context: Ctx
    ) -> grpb.GetSensitiveGrantResponse:
        row = await self._g.get(request.workspace_id, request.context_id)
        return grpb.GetSensitiveGrantResponse(grant=to_msg(grpb.SensitiveGrant, row))

    async def RevokeSensitiveGrant(
        self, request: grpb.RevokeSensitiveGrantRequest, context: Ctx
    ) -> grpb.RevokeSensitiveGrantResponse:
        require_admin()
        row = await self._g.revoke(request.workspace_id, request.context_id, audit_actor())
        return grpb.RevokeSensitiveGrantResponse(grant=to_msg(grpb.SensitiveGrant, row))
