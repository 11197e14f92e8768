"""Typed async facades over the other services' stubs (the scheduler as a caller)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import grpc

from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from svckit.calls import call

OBJECTIVE_SERVICE = "/agent_runtime.store.v1.ObjectiveService/"
# Reads are safe to retry on UNAVAILABLE; writes are not (a create could land twice).
RETRY_METHODS = tuple(
    OBJECTIVE_SERVICE + m for m in ("GetObjective", "ListObjectives", "ListObjectiveRuns")
)

# The store refusing the scheduler is a deployment fault, not the caller's: don't hand the
# caller a PERMISSION_DENIED it can do nothing about.
REFUSED = "the store refused the scheduler"


class StoreObjectives:
    """The store's ObjectiveService as the scheduler uses it."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ObjectiveServiceStub(channel)  # an aio channel: the async stub

    async def create(self, request: store_rpc.CreateObjectiveRequest) -> stored.Objective:
        reply: store_rpc.CreateObjectiveResponse = await call(
            self._stub.CreateObjective, request, refused=REFUSED
        )
        return reply.objective

    async def get(self, objective_id: str) -> stored.Objective:
        request = store_rpc.GetObjectiveRequest(id=objective_id)
        reply: store_rpc.GetObjectiveResponse = await call(
            self._stub.GetObjective, request, refused=REFUSED
        )
        return reply.objective

    async def list(
        self, workspace_id: str, *, active_only: bool, limit: int, page_token: str
    ) -> tuple[builtins.list[stored.Objective], str]:
        request = store_rpc.ListObjectivesRequest(
            workspace_id=workspace_id, active_only=active_only, limit=limit, page_token=page_token
        )
        reply: store_rpc.ListObjectivesResponse = await call(
            self._stub.ListObjectives, request, refused=REFUSED
        )
        return list(reply.items), reply.next_page_token

    async def update(self, request: store_rpc.UpdateObjectiveRequest) -> stored.Objective:
        reply: store_rpc.UpdateObjectiveResponse = await call(
            self._stub.UpdateObjective, request, refused=REFUSED
        )
        return reply.objective

    async def delete(self, objective_id: str, actor: str) -> str:
        request = store_rpc.DeleteObjectiveRequest(id=objective_id, actor=actor)
        reply: store_rpc.DeleteObjectiveResponse = await call(
            self._stub.DeleteObjective, request, refused=REFUSED
        )
        return reply.id

    async def list_runs(
        self, objective_id: str, *, limit: int, page_token: str, outcomes: Sequence[str] = ()
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        request = store_rpc.ListObjectiveRunsRequest(
            objective_id=objective_id, limit=limit, page_token=page_token, outcomes=outcomes
        )
        reply: store_rpc.ListObjectiveRunsResponse = await call(
            self._stub.ListObjectiveRuns, request, refused=REFUSED
        )
        return list(reply.items), reply.next_page_token
