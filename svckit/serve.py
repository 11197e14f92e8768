"""Build, start and stop a service: the mTLS gRPC server with Health and reflection, the
plaintext health-only probe server, and the metrics endpoint. Start is separate from
run-forever, so tests run every server on port 0."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc
from prometheus_client import CollectorRegistry

from svckit import loop
from svckit.authz import AllowList
from svckit.config import ServiceSettings
from svckit.interceptors import ServerWrapper
from svckit.logs import RpcLog, setup_logging
from svckit.metrics import RpcMetrics, serve_metrics
from svckit.tls import server_credentials

log = logging.getLogger("svckit.serve")
_OPTIONS = [("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 16 * 1024 * 1024)]


@dataclass(frozen=True)
class ServiceDef:
    """One gRPC service to mount: the generated `add_*_to_server`, the servicer, its full name."""

    add: Callable[[Any, grpc.aio.Server], None]
    servicer: object
    name: str


@dataclass(frozen=True)
class Ports:
    grpc: int
    health: int
    metrics: int


@dataclass
class Service:
    """A service process's servers. `start()` binds everything and reports SERVING."""

    name: str
    settings: ServiceSettings
    defs: Sequence[ServiceDef]
    allow: AllowList
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    @property
    def self_address(self) -> str:
        """Where this process can reach its own gRPC port (after `start`)."""
        assert self.ports is not None, "not started"
        host = self.settings.bind_host
        return f"{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{self.ports.grpc}"

    def __post_init__(self) -> None:
        self.health = HealthServicer()
        self._servers: list[grpc.aio.Server] = []
        self._metrics_server: Any = None
        self.ports: Ports | None = None

    async def start(self) -> Ports:
        s = self.settings
        metrics = RpcMetrics(self.registry)
        wrapper = ServerWrapper(self.allow, metrics, RpcLog(self.name, mode=s.rpc_log))
        options = [*_OPTIONS, *s.keepalive.server_options()]
        server = grpc.aio.server(options=options)
        for d in self.defs:
            wrapper.register(server, d.add, d.servicer)
        wrapper.register(server, health_pb2_grpc.add_HealthServicer_to_server, self.health)
        names = [d.name for d in self.defs] + [
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ]
        wrapper.register(
            server,
            reflection_pb2_grpc.add_ServerReflectionServicer_to_server,
            reflection.aio.ReflectionServicer(names),
        )
        creds = server_credentials(s.pki, s.pki.service(self.name))
        grpc_port = server.add_secure_port(f"{s.bind_host}:{s.grpc_port}", creds)

        probe = grpc.aio.server(options=options)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, probe)
        health_port = probe.add_insecure_port(f"{s.bind_host}:{s.health_port}")

        await server.start()
        await probe.start()
        self._servers = [server, probe]
        self._metrics_server = serve_metrics(s.bind_host, s.metrics_port, self.registry)
        metrics_port = int(self._metrics_server.server_address[1])
        self.ports = Ports(grpc_port, health_port, metrics_port)
        for hook in self.on_start:  # they may read self.ports
            await hook()
        for n in ["", *(d.name for d in self.defs)]:
            await self.health.set(n, health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "serving",
            extra={
                "grpc_port": grpc_port,
                "health_port": health_port,
                "metrics_port": metrics_port,
            },
        )
        return self.ports

    async def stop(self, grace: float = 5.0) -> None:
        """Report NOT_SERVING, finish in-flight RPCs within `grace`, then release resources."""
        await self.health.enter_graceful_shutdown()
        await asyncio.gather(*(srv.stop(grace) for srv in self._servers))
        for hook in reversed(self.on_stop):
            try:
                await hook()
            except Exception:
                log.exception("stop hook failed")
        if self._metrics_server is not None:
            await asyncio.to_thread(self._metrics_server.shutdown)
            self._metrics_server.server_close()
        self._servers = []


async def serve_until_signal(service: Service, grace: float = 4.0) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    await stop.wait()
    log.info("stopping")
    await service.stop(grace)


def run(
    name: str, settings: ServiceSettings, build: Callable[[], Awaitable[Service]] | Service
) -> None:
    """Blocking main for `python -m <svc>`: start, wait for SIGTERM/SIGINT, stop gracefully.
    Accepts a Service or an async factory (so building can await, e.g. open a database)."""
    setup_logging(name, settings.log_level)

    async def main() -> None:
        service = build if isinstance(build, Service) else await build()
        await serve_until_signal(service)

    loop.run(main())
