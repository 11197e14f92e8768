"""The heartbeat reports what real Health checks of the backends say."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.gateway.v1 import service_pb2, service_pb2_grpc
from gateway_svc import heartbeat
from gateway_svc.clients import GrpcHealthProbe
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.server import build_server
from scheduler_svc import deps as scheduler_deps
from scheduler_svc.clients import OrchestratorTasks, StoreLease, StoreObjectives
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.server import build_server as build_scheduler
from svckit import testing
from svckit.channels import open_channel


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Switch:
    """A backend whose Health status the test sets."""

    def __init__(self, status: str) -> None:
        self.status = status

    async def check(self) -> str:
        return self.status


def test_overall_follows_the_original_rule() -> None:
    assert heartbeat.overall([]) == "unknown"
    assert heartbeat.overall(["healthy", "degraded", "starting"]) == "degraded"
    assert heartbeat.overall(["healthy", "starting"]) == "starting"
    assert heartbeat.overall(["healthy", "disabled"]) == "healthy"
    assert heartbeat.overall(["disabled", "stopped"]) == "idle"


def test_a_backend_probed_and_reporting_itself_is_one_component() -> None:
    probe = heartbeat.component(heartbeat.Probe("scheduler", "SERVING"), 1_000, None)
    leader = heartbeat.Stored("scheduler", "healthy", "leading", "", 990_000, 990_000, 30_000)
    store = heartbeat.component(heartbeat.Probe("store", "SERVING"), 1_000, None)
    fresh = heartbeat.merged([probe, store, heartbeat.stored_component(leader, 1_000_000)])
    assert [(c.name, c.state, c.last_beat_at_unix) for c in fresh] == [
        ("scheduler", "healthy", 1_000),
        ("store", "healthy", 1_000),
    ]
    # the leader stopped reporting: serving but not firing objectives reads stale
    late = heartbeat.merged([probe, heartbeat.stored_component(leader, 1_100_000)])
    assert [(c.name, c.state, c.message) for c in late] == [("scheduler", "stale", "leading")]


async def test_heartbeat_checks_each_backend(tmp_path: Path) -> None:
    pki = testing.make_pki(tmp_path / "pki")
    ports0 = {"pki_dir": pki.root, "grpc_port": 0, "health_port": 0, "metrics_port": 0}
    cert = pki.service("gateway")
    down = open_channel(f"127.0.0.1:{testing.free_port()}", pki, cert)
    # Only the scheduler's Health is asked here; its store is the one that is down.
    sched_deps = scheduler_deps.Deps(
        objectives=StoreObjectives(down),
        tasks=OrchestratorTasks(down),
        leases=StoreLease(down),
    )
    scheduler = build_scheduler(SchedulerSettings(**ports0, scheduler_firing=False), sched_deps)
    async with testing.serving(scheduler) as sched_ports:
        up = open_channel(f"127.0.0.1:{sched_ports.grpc}", pki, cert)
        qmd, clock = Switch("SERVING"), Clock(1000)
        probes = {
            "scheduler": GrpcHealthProbe(up, 2.0),
            "store": GrpcHealthProbe(down, 2.0),
            "qmd": qmd,
        }
        gateway = build_server(GatewaySettings(**ports0), Deps("1", probes, clock))
        async with testing.serving(gateway) as gw, up, down:
            async with testing.client_channel(pki, gw.grpc, "admin:admin") as ch:
                stub = service_pb2_grpc.GatewayServiceStub(ch)
                first = await stub.GetHeartbeat(service_pb2.GetHeartbeatRequest(), timeout=10)
                qmd.status, clock.now = "NOT_SERVING", 1060
                second = await stub.GetHeartbeat(service_pb2.GetHeartbeatRequest(), timeout=10)

    by_name = {c.name: c for c in first.components}
    assert [c.name for c in first.components] == ["gateway", "qmd", "scheduler", "store"]
    assert first.generated_at_unix == 1000 and first.overall == "degraded"
    assert (
        by_name["scheduler"].state == "healthy" and by_name["scheduler"].last_beat_at_unix == 1000
    )
    assert by_name["gateway"].state == "healthy"
    store = by_name["store"]
    assert store.state == "degraded" and store.error.startswith("UNAVAILABLE")
    assert not store.HasField("last_beat_at_unix")

    qmd_now = {c.name: c for c in second.components}["qmd"]
    assert qmd_now.state == "degraded" and qmd_now.message == "health status not_serving"
    assert qmd_now.last_beat_at_unix == 1000 and qmd_now.updated_at_unix == 1060
