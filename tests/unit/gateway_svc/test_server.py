"""gateway_svc served on port 0 with a throwaway PKI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from agent_runtime.gateway.v1 import service_pb2, service_pb2_grpc
from gateway_svc.authz import ALLOW
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.server import SERVICE_NAME, build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports

RPCS = [m.name for m in service_pb2.DESCRIPTOR.services_by_name["GatewayService"].methods]


@pytest.fixture
async def ports(pki: PkiPaths) -> AsyncIterator[Ports]:
    settings = GatewaySettings(
        pki_dir=pki.root,
        grpc_port=0,
        health_port=0,
        metrics_port=0,
        env="staging",
        public_host="chat.example.org",
        admin_host="admin.example.org",
    )
    async with testing.serving(build_server(settings, Deps(version="9.9.9"))) as ports:
        yield ports


def test_default_ports_follow_the_design() -> None:
    s = GatewaySettings()
    assert (s.grpc_port, s.health_port, s.metrics_port, s.rest_port) == (7103, 7203, 7303, 8443)


def test_the_admin_token_never_shows_in_repr() -> None:
    assert "s3cret-s3cret-s3cret" not in repr(GatewaySettings(admin_token="s3cret-s3cret-s3cret"))


def test_every_rpc_has_an_allow_rule() -> None:
    assert ALLOW.covers(RPCS) == []


async def test_health_is_serving(pki: PkiPaths, ports: Ports) -> None:
    health = await testing.health_of(pki, ports.grpc, ["", SERVICE_NAME])
    assert health == {"": "SERVING", SERVICE_NAME: "SERVING"}


async def test_info_describes_the_deployment(pki: PkiPaths, ports: Ports) -> None:
    async with testing.client_channel(pki, ports.grpc, "svc:gateway") as ch:
        stub = service_pb2_grpc.GatewayServiceStub(ch)
        info = await stub.GetInfo(service_pb2.GetInfoRequest(), timeout=5)
    assert (info.name, info.environment, info.version) == ("agent-runtime", "staging", "9.9.9")
    assert (info.public_host, info.admin_host) == ("chat.example.org", "admin.example.org")
    assert info.mcp.enabled_servers == 0 and not info.mcp.HasField("last_refresh_unix")


async def test_messages_without_a_store_are_unavailable(pki: PkiPaths, ports: Ports) -> None:
    calls = [
        ("svc:connectors", "HandleMessage", service_pb2.HandleMessageRequest(text="/status")),
        ("svc:gateway", "Chat", service_pb2.ChatRequest(text="hello")),
    ]
    for who, rpc, request in calls:
        code = await testing.status_of(
            pki, ports.grpc, who, service_pb2_grpc.GatewayServiceStub, rpc, request
        )
        assert code == grpc.StatusCode.UNAVAILABLE, rpc


async def test_store_rpcs_without_a_store_are_unavailable(pki: PkiPaths, ports: Ports) -> None:
    code = await testing.status_of(
        pki, ports.grpc, "admin:admin", service_pb2_grpc.GatewayServiceStub, "ListIdentities"
    )
    assert code == grpc.StatusCode.UNAVAILABLE


async def test_caller_not_on_the_allow_list_is_denied(pki: PkiPaths, ports: Ports) -> None:
    # Only connectors deliver messages; no backend decides approvals or reads identities.
    cases = [
        ("svc:orchestrator", "HandleMessage"),
        ("svc:connectors", "ApproveAction"),
        ("svc:scheduler", "ListIdentities"),
        ("svc:store", "GetInfo"),
    ]
    for who, rpc in cases:
        code = await testing.status_of(
            pki, ports.grpc, who, service_pb2_grpc.GatewayServiceStub, rpc
        )
        assert code == grpc.StatusCode.PERMISSION_DENIED, (who, rpc)
