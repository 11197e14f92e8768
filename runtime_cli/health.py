"""Polling a service's plaintext health port until it reports SERVING."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
from grpc_health.v1 import health_pb2

from svckit.healthcheck import PROBE_OPTIONS, health_stub

_POLL_SECONDS = 0.1
_CALL_TIMEOUT = 1.0


async def wait_serving(addr: str, within: float, alive: Callable[[], bool]) -> bool:
    """True once `addr` answers grpc.health.v1 Check("") with SERVING.

    False when `alive()` turns false (the process died) or `within` seconds pass.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with grpc.aio.insecure_channel(addr, options=PROBE_OPTIONS) as channel:
        stub = health_stub(channel)
        request = health_pb2.HealthCheckRequest(service="")
        while alive() and loop.time() < deadline:
            try:
                reply = await stub.Check(request, timeout=_CALL_TIMEOUT)
            except grpc.aio.AioRpcError:
                pass
            else:
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            await asyncio.sleep(_POLL_SECONDS)
    return False
