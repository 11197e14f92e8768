"""The OrchestratorService servicer: one thin async method per RPC (proto -> domain -> proto).

RPCs that later issues implement answer UNIMPLEMENTED until then, never a fake success. They
are spelled out rather than inherited: the generated base raises NotImplementedError, which
the server wrapper reports as INTERNAL, and mypy-protobuf declares its methods abstract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agent_runtime.orchestrator.v1 import service_pb2, service_pb2_grpc
from orchestrator_svc.deps import Deps
from svckit import errors


class OrchestratorServicer(service_pb2_grpc.OrchestratorServiceServicer):
    """Serves agent_runtime.orchestrator.v1.OrchestratorService."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def EnqueueTask(
        self, request: service_pb2.EnqueueTaskRequest, context: Any
    ) -> service_pb2.EnqueueTaskResponse:
        raise errors.Unimplemented("EnqueueTask is not implemented yet")

    async def GetTask(
        self, request: service_pb2.GetTaskRequest, context: Any
    ) -> service_pb2.GetTaskResponse:
        raise errors.Unimplemented("GetTask is not implemented yet")

    async def ListTasks(
        self, request: service_pb2.ListTasksRequest, context: Any
    ) -> service_pb2.ListTasksResponse:
        raise errors.Unimplemented("ListTasks is not implemented yet")

    async def RetryTask(
        self, request: service_pb2.RetryTaskRequest, context: Any
    ) -> service_pb2.RetryTaskResponse:
        raise errors.Unimplemented("RetryTask is not implemented yet")

    async def CancelTask(
        self, request: service_pb2.CancelTaskRequest, context: Any
    ) -> service_pb2.CancelTaskResponse:
        raise errors.Unimplemented("CancelTask is not implemented yet")

    async def WatchTasks(
        self, request: service_pb2.WatchTasksRequest, context: Any
    ) -> AsyncIterator[service_pb2.WatchTasksResponse]:
        raise errors.Unimplemented("WatchTasks is not implemented yet")
        yield  # an async generator, as the streaming handler must be

    async def RunTurn(
        self, request: service_pb2.RunTurnRequest, context: Any
    ) -> service_pb2.RunTurnResponse:
        raise errors.Unimplemented("RunTurn is not implemented yet")

    async def GetQueueStats(
        self, request: service_pb2.GetQueueStatsRequest, context: Any
    ) -> service_pb2.GetQueueStatsResponse:
        raise errors.Unimplemented("GetQueueStats is not implemented yet")

    async def ListDeadLetters(
        self, request: service_pb2.ListDeadLettersRequest, context: Any
    ) -> service_pb2.ListDeadLettersResponse:
        raise errors.Unimplemented("ListDeadLetters is not implemented yet")

    async def ReplayDeadLetter(
        self, request: service_pb2.ReplayDeadLetterRequest, context: Any
    ) -> service_pb2.ReplayDeadLetterResponse:
        raise errors.Unimplemented("ReplayDeadLetter is not implemented yet")
