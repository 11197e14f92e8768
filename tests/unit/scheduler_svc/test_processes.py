"""Two scheduler processes over one store (real time, a one-second lease): one of them holds
the lease and fires; killing it (SIGKILL: no release) hands the lease, and the firing, to
the other once the lease has run out. No slot runs twice across the handover."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from agent_runtime.store.v1 import lease_service_pb2 as lease_rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from agent_runtime.store.v1.lease_service_pb2_grpc import LeaseServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from scheduler_svc.leader import LEASE_NAME
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store
from tests.unit.scheduler_svc.conftest import serving_orchestrator


async def test_one_of_two_processes_fires_and_killing_it_hands_over(
    tmp_path: Path, pki: PkiPaths
) -> None:
    async with (
        serving_store(pki, tmp_path) as store,
        serving_orchestrator(pki, store.grpc) as orch_port,
        testing.client_channel(pki, store.grpc, "admin:admin") as admin_store,
    ):
        env = {
            "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store.grpc}",
            "AGENT_RUNTIME_ORCHESTRATOR_ADDR": f"127.0.0.1:{orch_port}",
            "AGENT_RUNTIME_SCHEDULER_LEASE_TTL_SECONDS": "1",
            "AGENT_RUNTIME_SCHEDULER_TICK_SECONDS": "0.1",
        }
        leases = LeaseServiceStub(admin_store)

        async def holder() -> str:
            reply = await leases.GetLease(lease_rpc.GetLeaseRequest(name=LEASE_NAME), timeout=5)
            return reply.lease.holder

        with (
            testing.service_process("scheduler_svc", pki, tmp_path, env) as a,
            testing.service_process("scheduler_svc", pki, tmp_path, env) as b,
        ):
            api = testing.client_channel(pki, a.grpc, "admin:admin")
            procs = {a.proc.pid: a, b.proc.pid: b}
            sched = SchedulerServiceStub(api)
            made = await sched.CreateObjective(
                rpc.CreateObjectiveRequest(
                    workspace_id="ws-ha",
                    context_id="ctx",
                    title="tick",
                    prompt="-",
                    trigger_type="schedule",
                    cron_expr="@every 1s",
                    overlap_policy="allow",
                ),
                timeout=5,
            )
            oid = made.objective.id

            async def runs() -> list[stored.ObjectiveRun]:
                reply = await ObjectiveServiceStub(admin_store).ListObjectiveRuns(
                    store_rpc.ListObjectiveRunsRequest(objective_id=oid, limit=500), timeout=5
                )
                return list(reply.items)

            await testing.eventually(lambda: _at_least(runs, 2), "the leader firing")
            first = await holder()
            leader = procs[int(first.split(":")[1])]
            follower = b if leader is a else a
            leader.proc.kill()
            leader.proc.wait()
            before = {r.scheduled_for_unix for r in await runs()}

            async def handed_over() -> bool:
                return (await holder()).split(":")[1] == str(follower.proc.pid)

            await testing.eventually(handed_over, "the other process holding the lease")
            await testing.eventually(
                lambda: _fired_after(runs, max(before)), "the other process firing"
            )
            slots = [r.scheduled_for_unix for r in await runs() if r.outcome != "missed"]
            assert len(slots) == len(set(slots))  # no slot ran twice
            await api.close()


async def _at_least(runs: object, n: int) -> bool:
    return len(await runs()) >= n  # type: ignore[operator]


async def _fired_after(runs: object, slot: int) -> bool:
    return any(r.scheduled_for_unix > slot for r in await runs())  # type: ignore[operator]
