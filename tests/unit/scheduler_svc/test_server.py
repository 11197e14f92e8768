"""scheduler_svc served on port 0 with a throwaway PKI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import grpc
import pytest

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc.authz import ALLOW
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps, LeaseStore, ObjectiveStore, TaskQueue
from scheduler_svc.server import SERVICE_NAME, build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports

RPCS = [m.name for m in service_pb2.DESCRIPTOR.services_by_name["SchedulerService"].methods]


class _NoStore:
    """Stands in for the store and the orchestrator where no call reaches them (health, allow
    list, input checked before anything is asked)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was called: {name}")


@pytest.fixture
async def ports(pki: PkiPaths) -> AsyncIterator[Ports]:
    settings = SchedulerSettings(
        pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, scheduler_firing=False
    )
    none = _NoStore()
    deps = Deps(
        objectives=cast(ObjectiveStore, none),
        tasks=cast(TaskQueue, none),
        leases=cast(LeaseStore, none),
    )
    async with testing.serving(build_server(settings, deps)) as ports:
        yield ports


def test_default_ports_follow_the_design() -> None:
    s = SchedulerSettings()
    assert (s.grpc_port, s.health_port, s.metrics_port) == (7104, 7204, 7304)


def test_every_rpc_has_an_allow_rule() -> None:
    assert ALLOW.covers(RPCS) == []


async def test_health_is_serving(pki: PkiPaths, ports: Ports) -> None:
    health = await testing.health_of(pki, ports.grpc, ["", SERVICE_NAME])
    assert health == {"": "SERVING", SERVICE_NAME: "SERVING"}


async def test_firing_rpcs_check_their_input_first(pki: PkiPaths, ports: Ports) -> None:
    stub = service_pb2_grpc.SchedulerServiceStub
    for rpc, request in [
        ("RunObjectiveNow", service_pb2.RunObjectiveNowRequest(id=" ")),
        ("NotifyEvent", service_pb2.NotifyEventRequest(workspace_id="ws")),
        ("NotifyEvent", service_pb2.NotifyEventRequest(event_key="e")),
    ]:
        code = await testing.status_of(pki, ports.grpc, "admin:admin", stub, rpc, request)
        assert code == grpc.StatusCode.INVALID_ARGUMENT, rpc


async def test_caller_not_on_the_allow_list_is_denied(pki: PkiPaths, ports: Ports) -> None:
    # connectors call nothing here; qmd may notify events but not read objectives; the
    # orchestrator never calls the scheduler (its agent tools go to the store).
    cases = [
        ("svc:connectors", "ListObjectives"),
        ("svc:qmd", "GetObjective"),
        ("svc:orchestrator", "CreateObjective"),
        ("svc:store", "NotifyEvent"),
    ]
    for who, rpc in cases:
        code = await testing.status_of(
            pki, ports.grpc, who, service_pb2_grpc.SchedulerServiceStub, rpc
        )
        assert code == grpc.StatusCode.PERMISSION_DENIED, (who, rpc)
