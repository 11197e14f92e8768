"""The ConnectorsService servicer: one thin async method per RPC (proto -> domain -> proto)."""

from __future__ import annotations

from typing import Any

from agent_runtime.connectors.v1 import service_pb2, service_pb2_grpc
from connectors_svc import convert
from connectors_svc.runtime import Runtime
from svckit import errors


class ConnectorsServicer(service_pb2_grpc.ConnectorsServiceServicer):
    """Serves agent_runtime.connectors.v1.ConnectorsService."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def Publish(
        self, request: service_pb2.PublishRequest, context: Any
    ) -> service_pb2.PublishResponse:
        return convert.published(await self._rt.publisher.publish(convert.new_delivery(request)))

    async def GetConnectorStatus(
        self, request: service_pb2.GetConnectorStatusRequest, context: Any
    ) -> service_pb2.GetConnectorStatusResponse:
        name = request.name.strip().lower()
        views = self._rt.board.views(name)
        if name and not views:
            raise errors.NotFound(f"no connector named {name!r}", name=name)
        return service_pb2.GetConnectorStatusResponse(
            connectors=[convert.status(v, v.enabled) for v in views]
        )
