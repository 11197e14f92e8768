"""connectors_svc served on port 0 with a throwaway PKI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from agent_runtime.connectors.v1 import service_pb2, service_pb2_grpc
from connectors_svc.authz import ALLOW
from connectors_svc.config import ConnectorsSettings
from connectors_svc.deps import Deps
from connectors_svc.server import SERVICE_NAME, build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports

RPCS = [m.name for m in service_pb2.DESCRIPTOR.services_by_name["ConnectorsService"].methods]


@pytest.fixture
async def ports(pki: PkiPaths) -> AsyncIterator[Ports]:
    settings = ConnectorsSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    async with testing.serving(build_server(settings, Deps())) as ports:
        yield ports


def test_default_ports_follow_the_design() -> None:
    s = ConnectorsSettings()
    assert (s.grpc_port, s.health_port, s.metrics_port) == (7106, 7206, 7306)


def test_every_rpc_has_an_allow_rule() -> None:
    assert ALLOW.covers(RPCS) == []


async def test_health_is_serving(pki: PkiPaths, ports: Ports) -> None:
    health = await testing.health_of(pki, ports.grpc, ["", SERVICE_NAME])
    assert health == {"": "SERVING", SERVICE_NAME: "SERVING"}


async def test_publish_without_an_idempotency_key_is_invalid(pki: PkiPaths, ports: Ports) -> None:
    stub = service_pb2_grpc.ConnectorsServiceStub
    code = await testing.status_of(
        pki, ports.grpc, "admin:ops", stub, "Publish", service_pb2.PublishRequest(text="hi")
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_caller_not_on_the_allow_list_is_denied(pki: PkiPaths, ports: Ports) -> None:
    # Services write to the outbox instead of publishing; only the gateway reads statuses.
    cases = [
        ("svc:qmd", "Publish"),
        ("svc:store", "Publish"),
        ("svc:orchestrator", "Publish"),
        ("svc:gateway", "Publish"),
        ("svc:scheduler", "Publish"),
        ("svc:scheduler", "GetConnectorStatus"),
    ]
    for who, rpc in cases:
        code = await testing.status_of(
            pki, ports.grpc, who, service_pb2_grpc.ConnectorsServiceStub, rpc
        )
        assert code == grpc.StatusCode.PERMISSION_DENIED, (who, rpc)
