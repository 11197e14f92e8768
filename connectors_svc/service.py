"""The ConnectorsService servicer: one thin async method per RPC (proto -> domain -> proto).

RPCs that later issues implement answer UNIMPLEMENTED until then, never a fake success. They
are spelled out rather than inherited: the generated base raises NotImplementedError, which
the server wrapper reports as INTERNAL, and mypy-protobuf declares its methods abstract."""

from __future__ import annotations

from typing import Any

from agent_runtime.connectors.v1 import service_pb2, service_pb2_grpc
from connectors_svc.deps import Deps
from svckit import errors


class ConnectorsServicer(service_pb2_grpc.ConnectorsServiceServicer):
    """Serves agent_runtime.connectors.v1.ConnectorsService."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def Publish(
        self, request: service_pb2.PublishRequest, context: Any
    ) -> service_pb2.PublishResponse:
        raise errors.Unimplemented("Publish is not implemented yet")

    async def GetConnectorStatus(
        self, request: service_pb2.GetConnectorStatusRequest, context: Any
    ) -> service_pb2.GetConnectorStatusResponse:
        raise errors.Unimplemented("GetConnectorStatus is not implemented yet")
