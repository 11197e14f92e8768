"""The facades over qmd and the scheduler, and the Health probe of every backend."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2

from agent_runtime.qmd.v1 import resources_pb2 as qres
from agent_runtime.qmd.v1 import service_pb2 as qpb
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from svckit.calls import call
from svckit.healthcheck import health_stub


class GrpcHealthProbe:
    """Checks a backend's overall gRPC Health (service "") over an mTLS channel."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = health_stub(channel)
        self._timeout = timeout

    async def check(self) -> str:
        request = health_pb2.HealthCheckRequest()
        reply = await call(self._stub.Check, request, deadline_s=self._timeout)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


class QmdIndex:
    """qmd's search, open and status for one workspace."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = QmdServiceStub(channel)

    async def search(self, workspace_id: str, query: str, limit: int) -> list[qres.SearchHit]:
        request = qpb.SearchRequest(workspace_id=workspace_id, query=query, limit=limit)
        reply = await call(self._stub.Search, request)
        return list(reply.hits)

    async def open(self, workspace_id: str, target: str) -> qres.Document:
        request = qpb.GetDocumentRequest(workspace_id=workspace_id, target=target)
        reply = await call(self._stub.GetDocument, request)
        return reply.document

    async def status(self, workspace_id: str) -> qres.IndexStatus:
        request = qpb.GetIndexStatusRequest(workspace_id=workspace_id)
        reply = await call(self._stub.GetIndexStatus, request)
        return reply.status


class SchedulerObjectives:
    """The scheduler's CreateObjective."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = SchedulerServiceStub(channel)

    async def create(self, request: spb.CreateObjectiveRequest) -> str:
        reply: spb.CreateObjectiveResponse = await call(self._stub.CreateObjective, request)
        return reply.objective.id
