"""WorkspaceService: thin proto ↔ domain glue."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from agent_runtime.store.v1 import workspace_pb2 as pb
from agent_runtime.store.v1 import workspace_service_pb2 as rpc
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceServicer
from store_svc.convert import to_msg
from store_svc.workspaces import Workspaces
from svckit.callctx import audit_actor

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]  # unary RPCs: no messages go through it


class WorkspaceService(WorkspaceServiceServicer):
    def __init__(self, workspaces: Workspaces) -> None:
        self._w = workspaces

    async def ListWorkspaces(
        self, request: rpc.ListWorkspacesRequest, context: Ctx
    ) -> rpc.ListWorkspacesResponse:
        rows, token = await self._w.list(request.page_size, request.page_token)
        return rpc.ListWorkspacesResponse(
            items=[to_msg(pb.Workspace, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def GetWorkspace(
        self, request: rpc.GetWorkspaceRequest, context: Ctx
    ) -> rpc.GetWorkspaceResponse:
        row = await self._w.get(request.id)
        return rpc.GetWorkspaceResponse(workspace=to_msg(pb.Workspace, row))

    async def EnsureContext(
        self, request: rpc.EnsureContextRequest, context: Ctx
    ) -> rpc.EnsureContextResponse:
        row, created = await self._w.ensure_context(
            request.connector, request.external_id, request.display_name
        )
        return rpc.EnsureContextResponse(context=to_msg(pb.Context, row), created=created)

    async def GetContext(
        self, request: rpc.GetContextRequest, context: Ctx
    ) -> rpc.GetContextResponse:
        return rpc.GetContextResponse(
            context=to_msg(pb.Context, await self._w.get_context(request.id))
        )

    async def FindContext(
        self, request: rpc.FindContextRequest, context: Ctx
    ) -> rpc.FindContextResponse:
        row = await self._w.find_context(request.connector, request.external_id)
        return rpc.FindContextResponse(context=to_msg(pb.Context, row))

    async def ListContexts(
        self, request: rpc.ListContextsRequest, context: Ctx
    ) -> rpc.ListContextsResponse:
        rows, token = await self._w.list_contexts(
            request.workspace_id, request.admin_only, request.page_size, request.page_token
        )
        return rpc.ListContextsResponse(
            items=[to_msg(pb.Context, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def UpdateContext(
        self, request: rpc.UpdateContextRequest, context: Ctx
    ) -> rpc.UpdateContextResponse:
        row = await self._w.update_context(
            request.id,
            request.is_admin if request.HasField("is_admin") else None,
            request.system_prompt if request.HasField("system_prompt") else None,
            audit_actor(),
        )
        return rpc.UpdateContextResponse(context=to_msg(pb.Context, row))
