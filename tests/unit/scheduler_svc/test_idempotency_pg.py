"""The same CreateObjective / RunObjectiveNow sent many times at once with one idempotency
key, to two scheduler replicas over one PostgreSQL store (a client retrying while its first
call is still in flight): every call answers the one objective or the one run, none fails,
and only one objective, one run and one task exist. And firings of one `skip` objective
with different keys on both replicas at once (a RunObjectiveNow served by a replica that
is not the leader, racing the leader's firing): the store judges the overlap when it
reserves each run, so one run starts and every other is recorded skipped, naming it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from svckit.pki import PkiPaths
from tests import pg
from tests.stores import serving_store
from tests.unit.scheduler_svc.conftest import Stack, serving_orchestrator, serving_scheduler

WS = "ws-idem"
CALLS = 8


@pytest.fixture
async def replicas(
    tmp_path: Path, pki: PkiPaths, pg_cluster: pg.Cluster | str
) -> AsyncIterator[tuple[Stack, Stack]]:
    url = pg.database_or_skip(pg_cluster, f"idem_{uuid.uuid4().hex[:8]}")
    async with (
        serving_store(pki, tmp_path, db_url=url) as store,
        serving_orchestrator(pki, store.grpc) as orch,
        serving_scheduler(pki, store.grpc, orch, scheduler_firing=False) as (a, _),
        serving_scheduler(pki, store.grpc, orch, scheduler_firing=False) as (b, _),
    ):
        one, two = Stack(pki, a, store.grpc, orch), Stack(pki, b, store.grpc, orch)
        try:
            yield one, two
        finally:
            await one.close()
            await two.close()


async def test_concurrent_creates_and_run_nows_with_one_key_answer_one_result(
    replicas: tuple[Stack, Stack],
) -> None:
    stubs = [s.scheduler() for s in replicas for _ in range(CALLS // 2)]
    create = rpc.CreateObjectiveRequest(
        workspace_id=WS, context_id="ctx-1", title="Monitor", prompt="check it",
        trigger_type="schedule", cron_expr="0 */6 * * *", idempotency_key="monitor-msg-7",
    )  # fmt: skip
    made = await asyncio.gather(*(s.CreateObjective(create, timeout=10) for s in stubs))
    assert len({m.objective.id for m in made}) == 1
    oid = made[0].objective.id
    listed = await stubs[0].ListObjectives(rpc.ListObjectivesRequest(workspace_id=WS))
    assert [o.id for o in listed.items] == [oid]

    now = rpc.RunObjectiveNowRequest(id=oid, idempotency_key="run-1")
    fired = await asyncio.gather(*(s.RunObjectiveNow(now, timeout=10) for s in stubs))
    assert {(f.run.id, f.run.status) for f in fired} == {(fired[0].run.id, "queued")}
    runs = await stubs[0].ListObjectiveRuns(rpc.ListObjectiveRunsRequest(id=oid))
    assert [r.id for r in runs.items] == [fired[0].run.id]
    (task,) = await replicas[0].tasks(WS)
    assert task.id == fired[0].run.task_id


async def test_racing_firings_on_two_replicas_start_one_run_of_a_skip_objective(
    replicas: tuple[Stack, Stack],
) -> None:
    stubs = [s.scheduler() for s in replicas for _ in range(CALLS // 2)]
    create = rpc.CreateObjectiveRequest(
        workspace_id=WS, context_id="ctx-1", title="Sweep", prompt="sweep it",
        trigger_type="schedule", cron_expr="0 */6 * * *", overlap_policy="skip",
    )  # fmt: skip
    oid = (await stubs[0].CreateObjective(create, timeout=10)).objective.id
    for round_ in range(3):
        asks = [
            rpc.RunObjectiveNowRequest(id=oid, idempotency_key=f"r{round_}-{i}")
            for i in range(len(stubs))
        ]
        fired = await asyncio.gather(
            *(s.RunObjectiveNow(a, timeout=10) for s, a in zip(stubs, asks, strict=True))
        )
        started = [f.run for f in fired if f.run.status == "queued"]
        skipped = [f.run for f in fired if f.run.status == "skipped"]
        if round_ == 0:
            assert len(started) == 1 and len(skipped) == len(stubs) - 1, fired
            first = started[0]
        else:  # the first run's task is still queued: every later firing is skipped
            assert not started and len(skipped) == len(stubs), fired
        # naming the run's task, or while the winner was enqueueing it, its firing
        named = (first.task_id, "a firing in flight") if round_ == 0 else (first.task_id,)
        assert all(any(n in r.error for n in named) for r in skipped), skipped
        assert all("still under way" in r.error for r in skipped)
    runs = await stubs[0].ListObjectiveRuns(rpc.ListObjectiveRunsRequest(id=oid, limit=100))
    assert [r.id for r in runs.items if r.status == "queued"] == [first.id]
    assert len(runs.items) == 3 * len(stubs)
    tasks = [t for t in await replicas[0].tasks(WS) if t.objective_id == oid]
    assert [t.id for t in tasks] == [first.task_id]  # one task: nothing to cancel
