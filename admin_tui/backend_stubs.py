"""The channels and stubs the TUI's backend speaks through: one mTLS channel per service with
the admin certificate of endpoints.json, and a plaintext channel to each health probe port."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc

from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from runtime_cli.endpoints import StackEndpoints
from svckit.channels import open_channel
from svckit.healthcheck import HealthStub, health_stub
from svckit.keepalive import Keepalive

if TYPE_CHECKING:
    from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceAsyncStub
    from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceAsyncStub
    from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceAsyncStub
    from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceAsyncStub
    from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceAsyncStub


@dataclass(frozen=True)
class Stubs:
    """The stubs, and the channels to close when the TUI disconnects."""

    gateway: GatewayServiceAsyncStub
    orchestrator: OrchestratorServiceAsyncStub
    scheduler: SchedulerServiceAsyncStub
    workspaces: WorkspaceServiceAsyncStub
    deliveries: DeliveryServiceAsyncStub
    health: dict[str, HealthStub]
    channels: tuple[grpc.aio.Channel, ...]

    async def close(self) -> None:
        await asyncio.gather(*(ch.close() for ch in self.channels), return_exceptions=True)


def open_stubs(stack: StackEndpoints, timeout: float) -> Stubs:
    """Channels to every service the TUI needs; nothing is dialled until the first call."""

    def admin(service: str) -> grpc.aio.Channel:
        return open_channel(stack.grpc[service], stack.pki, stack.admin, default_timeout=timeout)

    gateway, orchestrator, scheduler, store = (
        admin(name) for name in ("gateway", "orchestrator", "scheduler", "store")
    )
    pings = Keepalive().client_options()
    probes = {
        name: grpc.aio.insecure_channel(addr, options=pings) for name, addr in stack.health.items()
    }
    return Stubs(
        gateway=GatewayServiceStub(gateway),
        orchestrator=OrchestratorServiceStub(orchestrator),
        scheduler=SchedulerServiceStub(scheduler),
        workspaces=WorkspaceServiceStub(store),
        deliveries=DeliveryServiceStub(store),
        health={name: health_stub(ch) for name, ch in probes.items()},
        channels=(gateway, orchestrator, scheduler, store, *probes.values()),
    )
