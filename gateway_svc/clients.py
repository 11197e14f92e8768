"""Typed async facades over other services' stubs."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


class GrpcHealthProbe:
    """Checks a backend's overall gRPC Health (service "") over an mTLS channel."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = health_pb2_grpc.HealthStub(channel)
        self._timeout = timeout

    async def check(self) -> str:
        reply = await self._stub.Check(health_pb2.HealthCheckRequest(), timeout=self._timeout)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
