"""orchestrator_svc served on port 0 with a throwaway PKI (the `ports` fixture: conftest.py)."""

from __future__ import annotations

import grpc

from agent_runtime.orchestrator.v1 import service_pb2, service_pb2_grpc
from orchestrator_svc.authz import ALLOW
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.server import SERVICE_NAME
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports

RPCS = [m.name for m in service_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].methods]


def test_default_ports_follow_the_design() -> None:
    s = OrchestratorSettings()
    assert (s.grpc_port, s.health_port, s.metrics_port) == (7102, 7202, 7302)


def test_every_rpc_has_an_allow_rule() -> None:
    assert ALLOW.covers(RPCS) == []


async def test_health_is_serving(pki: PkiPaths, ports: Ports) -> None:
    health = await testing.health_of(pki, ports.grpc, ["", SERVICE_NAME])
    assert health == {"": "SERVING", SERVICE_NAME: "SERVING"}


async def test_run_turn_without_a_message_is_invalid(pki: PkiPaths, ports: Ports) -> None:
    stub = service_pb2_grpc.OrchestratorServiceStub
    code = await testing.status_of(pki, ports.grpc, "svc:gateway", stub, "RunTurn")
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_caller_not_on_the_allow_list_is_denied(pki: PkiPaths, ports: Ports) -> None:
    # qmd calls nothing on the orchestrator; the scheduler may enqueue but not retry.
    cases = [
        ("svc:qmd", "GetTask"),
        ("svc:connectors", "EnqueueTask"),
        ("svc:scheduler", "RetryTask"),
    ]
    for who, rpc in cases:
        code = await testing.status_of(
            pki, ports.grpc, who, service_pb2_grpc.OrchestratorServiceStub, rpc
        )
        assert code == grpc.StatusCode.PERMISSION_DENIED, (who, rpc)
