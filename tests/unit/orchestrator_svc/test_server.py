"""orchestrator_svc served on port 0 with a throwaway PKI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from agent_runtime.orchestrator.v1 import service_pb2, service_pb2_grpc
from orchestrator_svc.authz import ALLOW
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.server import SERVICE_NAME, build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports

RPCS = [m.name for m in service_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].methods]


@pytest.fixture
def pki(tmp_path: Path) -> PkiPaths:
    return testing.make_pki(tmp_path / "pki")


@pytest.fixture
async def ports(pki: PkiPaths) -> AsyncIterator[Ports]:
    settings = OrchestratorSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    async with testing.serving(build_server(settings, Deps())) as ports:
        yield ports


def test_default_ports_follow_the_design() -> None:
    s = OrchestratorSettings()
    assert (s.grpc_port, s.health_port, s.metrics_port) == (7102, 7202, 7302)


def test_every_rpc_has_an_allow_rule() -> None:
    assert ALLOW.covers(RPCS) == []


async def test_health_is_serving(pki: PkiPaths, ports: Ports) -> None:
    async with testing.client_channel(pki, ports.grpc, "admin:admin") as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        for name in ("", SERVICE_NAME):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_unimplemented_rpcs_say_so(pki: PkiPaths, ports: Ports) -> None:
    async with testing.client_channel(pki, ports.grpc, "svc:gateway") as ch:
        stub = service_pb2_grpc.OrchestratorServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.EnqueueTask(service_pb2.EnqueueTaskRequest(title="t"), timeout=5)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stub.WatchTasks(service_pb2.WatchTasksRequest(), timeout=5):
                pass
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_caller_not_on_the_allow_list_is_denied(pki: PkiPaths, ports: Ports) -> None:
    # qmd calls nothing on the orchestrator; the scheduler may enqueue but not retry.
    cases = [
        ("svc:qmd", "GetTask"),
        ("svc:connectors", "EnqueueTask"),
        ("svc:scheduler", "RetryTask"),
    ]
    for who, rpc in cases:
        async with testing.client_channel(pki, ports.grpc, who) as ch:
            stub = service_pb2_grpc.OrchestratorServiceStub(ch)
            request = getattr(service_pb2, f"{rpc}Request")()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await getattr(stub, rpc)(request, timeout=5)
            assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED, (who, rpc)
