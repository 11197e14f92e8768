"""The SchedulerService servicer: one thin async method per RPC (proto -> domain -> proto).

RPCs that later issues implement answer UNIMPLEMENTED until then, never a fake success. They
are spelled out rather than inherited: the generated base raises NotImplementedError, which
the server wrapper reports as INTERNAL, and mypy-protobuf declares its methods abstract."""

from __future__ import annotations

from typing import Any

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc.deps import Deps
from svckit import errors


class SchedulerServicer(service_pb2_grpc.SchedulerServiceServicer):
    """Serves agent_runtime.scheduler.v1.SchedulerService."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def CreateObjective(
        self, request: service_pb2.CreateObjectiveRequest, context: Any
    ) -> service_pb2.CreateObjectiveResponse:
        raise errors.Unimplemented("CreateObjective is not implemented yet")

    async def GetObjective(
        self, request: service_pb2.GetObjectiveRequest, context: Any
    ) -> service_pb2.GetObjectiveResponse:
        raise errors.Unimplemented("GetObjective is not implemented yet")

    async def ListObjectives(
        self, request: service_pb2.ListObjectivesRequest, context: Any
    ) -> service_pb2.ListObjectivesResponse:
        raise errors.Unimplemented("ListObjectives is not implemented yet")

    async def UpdateObjective(
        self, request: service_pb2.UpdateObjectiveRequest, context: Any
    ) -> service_pb2.UpdateObjectiveResponse:
        raise errors.Unimplemented("UpdateObjective is not implemented yet")

    async def SetObjectiveActive(
        self, request: service_pb2.SetObjectiveActiveRequest, context: Any
    ) -> service_pb2.SetObjectiveActiveResponse:
        raise errors.Unimplemented("SetObjectiveActive is not implemented yet")

    async def DeleteObjective(
        self, request: service_pb2.DeleteObjectiveRequest, context: Any
    ) -> service_pb2.DeleteObjectiveResponse:
        raise errors.Unimplemented("DeleteObjective is not implemented yet")

    async def RunObjectiveNow(
        self, request: service_pb2.RunObjectiveNowRequest, context: Any
    ) -> service_pb2.RunObjectiveNowResponse:
        raise errors.Unimplemented("RunObjectiveNow is not implemented yet")

    async def ListObjectiveRuns(
        self, request: service_pb2.ListObjectiveRunsRequest, context: Any
    ) -> service_pb2.ListObjectiveRunsResponse:
        raise errors.Unimplemented("ListObjectiveRuns is not implemented yet")

    async def NotifyEvent(
        self, request: service_pb2.NotifyEventRequest, context: Any
    ) -> service_pb2.NotifyEventResponse:
        raise errors.Unimplemented("NotifyEvent is not implemented yet")
