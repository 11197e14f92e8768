"""The client side of grpc.health.v1, typed.

typeshed's `HealthStub` declares no methods (the generated class sets them in `__init__`), so
callers go through `health_stub`, which gives the same stub its `Check` method's types.
"""

from __future__ import annotations

from typing import Protocol, cast, overload

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# For a channel that polls a process until it serves: grpc's own reconnect backoff (1 s,
# growing to 120 s) would find a service that came up seconds after it did; this retries
# the connection every 50 ms, at most 250 ms apart.
PROBE_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 250),
)

Request = health_pb2.HealthCheckRequest
Response = health_pb2.HealthCheckResponse


class HealthStub(Protocol):
    """grpc.health.v1 Health over a grpc.aio channel."""

    Check: grpc.aio.UnaryUnaryMultiCallable[Request, Response]


class BlockingHealthStub(Protocol):
    """grpc.health.v1 Health over a blocking grpc channel."""

    Check: grpc.UnaryUnaryMultiCallable[Request, Response]


@overload
def health_stub(channel: grpc.aio.Channel) -> HealthStub: ...
@overload
def health_stub(channel: grpc.Channel) -> BlockingHealthStub: ...
def health_stub(channel: grpc.aio.Channel | grpc.Channel) -> HealthStub | BlockingHealthStub:
    """grpc_health's own stub on `channel`, typed."""
    # The stub's methods exist at run time; only typeshed's class body lacks them.
    return cast("HealthStub | BlockingHealthStub", health_pb2_grpc.HealthStub(channel))
