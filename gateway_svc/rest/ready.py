"""Readiness: every backend's grpc.health.v1 answers SERVING."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2

from svckit.healthcheck import HealthStub, health_stub


class BackendProbe:
    """Checks the backends in parallel; `__call__` returns the names that are not SERVING."""

    def __init__(self, channels: Mapping[str, grpc.aio.Channel], timeout: float = 2.0) -> None:
        self._stubs = {name: health_stub(ch) for name, ch in channels.items()}
        self._timeout = timeout

    async def _serving(self, stub: HealthStub) -> bool:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=self._timeout)
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    async def __call__(self) -> list[str]:
        names = sorted(self._stubs)
        results = await asyncio.gather(*(self._serving(self._stubs[n]) for n in names))
        return [n for n, ok in zip(names, results, strict=True) if not ok]
