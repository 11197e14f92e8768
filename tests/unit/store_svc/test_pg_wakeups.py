"""Store replicas on one PostgreSQL tell each other about new work (`LISTEN/NOTIFY`): a
task created through one replica wakes a claimer long-polling on another. The replicas'
own re-check is set to a minute and the claim long-polls for 30 s, so a claim that returns
the task within 15 s was woken by the notice; the test creates the task once it waits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import task_service_pb2 as rpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from store_svc import server
from store_svc.db.pg_wakeups import decode, encode
from store_svc.wakeups import Wakeups
from svckit import testing
from svckit.pki import PkiPaths
from tests import pg
from tests.stores import serving_store
from tests.unit.store_svc.conftest import _counter

QUIET = {"task_claim_recheck_ms": 60_000}


class Seen(Wakeups):
    """The store's wake-ups, kept where the test can see that a claim is waiting."""

    def __init__(self, replicas: list[Seen]) -> None:
        super().__init__()
        replicas.append(self)

    def waiting(self) -> bool:
        return bool(self._waiters)


@pytest.fixture
def pg_url(pg_cluster: pg.Cluster | str) -> str:
    return pg.database_or_skip(pg_cluster, f"wake{next(_counter)}")


def test_the_notice_names_its_replica_and_lanes() -> None:
    assert decode(encode("r1", frozenset({2, 0}))) == ("r1", frozenset({0, 2}))
    assert decode(encode("r1", None)) == ("r1", None)


async def test_a_task_created_on_one_replica_wakes_a_claimer_on_another(
    pki: PkiPaths, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    replicas: list[Seen] = []
    monkeypatch.setattr(server, "Wakeups", lambda: Seen(replicas))
    async with (
        serving_store(pki, tmp_path / "a", db_url=pg_url, **QUIET) as a,
        serving_store(pki, tmp_path / "b", db_url=pg_url, **QUIET) as b,
        testing.client_channel(pki, a.grpc, "svc:orchestrator") as ch_a,
        testing.client_channel(pki, b.grpc, "svc:orchestrator") as ch_b,
    ):
        on_a, on_b = TaskServiceStub(ch_a), TaskServiceStub(ch_b)
        for lanes in ([], ["background"]):  # any lane; and a claimer of that lane only
            claim = asyncio.ensure_future(
                on_b.ClaimTasks(
                    rpc.ClaimTasksRequest(
                        worker_id="w-b", max_tasks=1, lease_ms=60_000, wait_ms=30_000,
                        lanes=lanes,
                    ),
                    timeout=45,
                )
            )  # fmt: skip
            await testing.eventually(lambda: replicas[1].waiting(), "B's claim waits")
            made = await on_a.CreateTask(
                rpc.CreateTaskRequest(
                    workspace_id="ws", context_id="system:test", kind="general", title="t",
                    prompt="p", lane=lanes[0] if lanes else "",
                )
            )  # fmt: skip
            # well inside the claim's long poll: only the notice can have ended it by then
            got = await asyncio.wait_for(claim, 15)
            assert [t.id for t in got.tasks] == [made.task.id]


async def test_a_delivery_written_on_one_replica_wakes_a_delivery_claim_on_another(
    pki: PkiPaths, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    replicas: list[Seen] = []
    monkeypatch.setattr(server, "Wakeups", lambda: Seen(replicas))
    async with (
        serving_store(pki, tmp_path / "a", db_url=pg_url, **QUIET) as a,
        serving_store(pki, tmp_path / "b", db_url=pg_url, **QUIET) as b,
        testing.client_channel(pki, a.grpc, "svc:gateway") as ch_a,
        testing.client_channel(pki, b.grpc, "svc:connectors") as ch_b,
    ):
        claim = asyncio.ensure_future(
            DeliveryServiceStub(ch_b).ClaimDeliveries(
                drpc.ClaimDeliveriesRequest(
                    connectors=["codex"], owner="b", lease_ms=60_000, wait_ms=30_000
                ),
                timeout=45,
            )
        )
        await testing.eventually(lambda: replicas[1].waiting(), "B's delivery claim waits")
        made = await DeliveryServiceStub(ch_a).CreateDelivery(
            drpc.CreateDeliveryRequest(
                idempotency_key="task:t:succeeded", connector="codex", chat_id="s", text="done"
            )
        )
        got = await asyncio.wait_for(claim, 15)  # only the notice can have ended it by then
        assert [d.id for d in got.items] == [made.delivery.id]
