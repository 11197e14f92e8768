"""The heartbeat shows the components processes report to the store (connectors, …) beside
its live probes, the same from any gateway replica: disabled ones as disabled, a live idle
one as healthy, and one whose process stopped reporting as stale."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.gateway.v1 import service_pb2, service_pb2_grpc
from agent_runtime.store.v1 import component_pb2
from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from gateway_svc.clients import StoreComponents
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.server import build_server
from svckit import testing
from tests.fakes import FrozenClock
from tests.stores import serving_store


async def test_stored_components_appear_and_go_stale_only_when_not_reported(
    tmp_path: Path,
) -> None:
    pki = testing.make_pki(tmp_path / "pki")
    (tmp_path / "store").mkdir()
    clock = FrozenClock(1_700_000_000)
    ports0 = {"pki_dir": pki.root, "grpc_port": 0, "health_port": 0, "metrics_port": 0}
    async with serving_store(pki, tmp_path / "store", clock) as store:
        async with testing.client_channel(pki, store.grpc, "svc:connectors") as conn:
            report = ComponentServiceStub(conn).ReportComponents
            await report(
                crpc.ReportComponentsRequest(
                    components=[
                        component_pb2.Component(
                            name="connector:telegram", state="disabled", message="token missing"
                        ),
                        component_pb2.Component(
                            name="connector:codex", state="healthy", message="ready",
                            stale_after_ms=30_000,
                        ),
                    ]
                ),
                timeout=10,
            )  # fmt: skip
            async with testing.client_channel(pki, store.grpc, "svc:gateway") as gw_store:
                deps = Deps("1", {}, lambda: clock.ms / 1000, components=StoreComponents(gw_store))
                gateway = build_server(GatewaySettings(**ports0), deps)
                async with testing.serving(gateway) as gw:
                    async with testing.client_channel(pki, gw.grpc, "admin:admin") as ch:
                        stub = service_pb2_grpc.GatewayServiceStub(ch)
                        ask = service_pb2.GetHeartbeatRequest()
                        fresh = await stub.GetHeartbeat(ask, timeout=10)
                        clock.advance(3600)  # idle for an hour, still reporting
                        await report(
                            crpc.ReportComponentsRequest(
                                components=[component_pb2.Component(
                                    name="connector:codex", state="healthy",
                                    stale_after_ms=30_000)]
                            ),
                            timeout=10,
                        )  # fmt: skip
                        idle = await stub.GetHeartbeat(ask, timeout=10)
                        clock.advance(31)  # the process stopped reporting
                        gone = await stub.GetHeartbeat(ask, timeout=10)

    def by_name(r: service_pb2.GetHeartbeatResponse) -> dict[str, tuple[str, bool]]:
        return {c.name: (c.state, c.stale) for c in r.components}

    assert by_name(fresh) == {
        "gateway": ("healthy", False),
        "connector:codex": ("healthy", False),
        "connector:telegram": ("disabled", False),
    }
    assert fresh.overall == "healthy"
    assert by_name(idle)["connector:codex"] == ("healthy", False)
    assert by_name(gone)["connector:codex"] == ("stale", True)
    assert by_name(gone)["connector:telegram"] == ("disabled", False)
    assert gone.overall == "degraded"
