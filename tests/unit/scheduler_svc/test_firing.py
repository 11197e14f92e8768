"""The firing loop end to end: scheduler, orchestrator and store on port 0 with mTLS, on a
clock the test moves. Due objectives become exactly one task per slot (keyed by run_key),
downtime ends in one catch-up run and `missed` records, and only the lease holder fires."""

from __future__ import annotations

from typing import Any

import pytest

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from scheduler_svc.slots import MAX_MISSED
from svckit import testing
from tests.unit.scheduler_svc.conftest import START, Stack, serving_scheduler

WS = "ws-fire"


async def _create(stack: Stack, **kw: Any) -> Any:
    req = rpc.CreateObjectiveRequest(
        workspace_id=WS,
        context_id="ctx-1",
        title="Digest",
        prompt="Summarise the day",
        **({"trigger_type": "schedule"} | kw),
    )
    made: rpc.CreateObjectiveResponse = await stack.scheduler().CreateObjective(req, timeout=5)
    return made.objective


async def _runs(stack: Stack, oid: str) -> list[Any]:
    reply = await stack.scheduler().ListObjectiveRuns(
        rpc.ListObjectiveRunsRequest(id=oid, limit=500), timeout=5
    )
    return list(reply.items)


async def _get(stack: Stack, oid: str) -> Any:
    reply = await stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id=oid), timeout=5)
    return reply.objective


def _advance(stack: Stack, seconds: int) -> None:
    assert stack.clock is not None and stack.loop is not None
    stack.clock.advance(seconds)
    stack.loop.wake()


async def _runs_count(stack: Stack, oid: str, n: int) -> list[Any]:
    async def check() -> list[Any] | None:
        runs = await _runs(stack, oid)
        return runs if len(runs) >= n else None

    runs: list[Any] = await testing.eventually(check, f"{n} runs of {oid}")
    assert len(runs) == n, runs
    return runs


async def test_a_due_every_objective_fires_once_per_slot(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 60s", overlap_policy="allow")
    assert obj.next_run_unix == START + 60
    assert await _runs(firing, obj.id) == []  # nothing due yet

    _advance(firing, 60)
    (run,) = await _runs_count(firing, obj.id, 1)
    assert (run.trigger, run.status, run.scheduled_for_unix) == ("schedule", "queued", START + 60)
    (task,) = await firing.tasks(WS)
    assert task.id == run.task_id
    assert task.run_key == f"objective:{obj.id}:{START + 60}"
    assert (task.kind, task.status, task.prompt) == ("objective", "queued", "Summarise the day")
    assert (await _get(firing, obj.id)).next_run_unix == START + 120

    _advance(firing, 60)
    runs = await _runs_count(firing, obj.id, 2)
    assert [r.scheduled_for_unix for r in runs] == [START + 120, START + 60]
    keys = sorted(t.run_key for t in await firing.tasks(WS))
    assert keys == [f"objective:{obj.id}:{START + 60}", f"objective:{obj.id}:{START + 120}"]
    assert firing.loop is not None and firing.loop.fired == 2


async def test_after_downtime_one_catch_up_run_and_missed_slots(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 10m", catchup_window_seconds=300)
    # "down" for five slots: the last one, 200 s ago, is inside the 300 s window
    _advance(firing, 5 * 600 + 200)
    runs = await _runs_count(firing, obj.id, 5)
    fired = [r for r in runs if r.status == "queued"]
    missed = [r for r in runs if r.status == "missed"]
    assert [(r.trigger, r.scheduled_for_unix) for r in fired] == [("catch_up", START + 3000)]
    assert sorted(r.scheduled_for_unix for r in missed) == [START + 600 * i for i in (1, 2, 3, 4)]
    assert all(not r.task_id and "missed" in r.error for r in missed)
    assert [t.id for t in await firing.tasks(WS)] == [fired[0].task_id]
    assert (await _get(firing, obj.id)).next_run_unix == START + 3600


async def test_slots_older_than_the_window_are_all_missed(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 10m", catchup_window_seconds=100)
    _advance(firing, 2 * 600 + 200)
    runs = await _runs_count(firing, obj.id, 2)
    assert {r.status for r in runs} == {"missed"}
    assert await firing.tasks(WS) == []
    assert (await _get(firing, obj.id)).next_run_unix == START + 1800


async def test_a_long_downtime_is_never_a_burst(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 1s")
    _advance(firing, 86_400)  # a day of one-second slots
    runs = await _runs_count(firing, obj.id, MAX_MISSED + 1)
    assert sum(r.status == "missed" for r in runs) == MAX_MISSED
    oldest = min((r for r in runs if r.status == "missed"), key=lambda r: r.scheduled_for_unix)
    assert f"from {START + 1} to here are not listed" in oldest.error
    assert len(await firing.tasks(WS)) == 1


async def test_a_slot_whose_previous_task_is_queued_is_skipped(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 60s")  # overlap policy: skip (default)
    _advance(firing, 60)
    (first,) = await _runs_count(firing, obj.id, 1)
    _advance(firing, 60)  # no worker took the first task: it is still queued
    skipped, _ = await _runs_count(firing, obj.id, 2)
    assert (skipped.status, skipped.scheduled_for_unix, skipped.task_id) == (
        "skipped",
        START + 120,
        "",
    )
    assert first.task_id in skipped.error
    assert len(await firing.tasks(WS)) == 1
    assert (await _get(firing, obj.id)).next_run_unix == START + 180


async def test_an_at_objective_fires_once(firing: Stack) -> None:
    obj = await _create(firing, trigger_type="at", run_at_unix=START + 30)
    _advance(firing, 45)
    (run,) = await _runs_count(firing, obj.id, 1)
    assert (run.trigger, run.status, run.scheduled_for_unix) == ("at", "queued", START + 30)
    got = await _get(firing, obj.id)
    assert not got.HasField("next_run_unix") and list(got.next_runs_unix) == []


async def test_only_the_lease_holder_fires(firing: Stack) -> None:
    a = firing.loop
    assert a is not None and firing.clock is not None
    await testing.eventually(lambda: a.leadership.leading, "the first scheduler leading")
    async with serving_scheduler(
        firing.pki,
        firing.store_port,
        firing.orchestrator_port,
        firing.clock.now,
        scheduler_tick_seconds=0.05,
        scheduler_lease_ttl_seconds=600.0,
    ) as (_, b):
        obj = await _create(firing, cron_expr="@every 60s", overlap_policy="allow")
        for n in (1, 2):
            _advance(firing, 60)
            b.wake()
            await _runs_count(firing, obj.id, n)
        assert (a.fired, b.fired, b.leadership.leading) == (2, 0, False)

        await a.stop()  # gives the lease up: the other one takes over
        await testing.eventually(lambda: b.leadership.leading, "the second scheduler leading")
        _advance(firing, 60)
        b.wake()
        runs = await _runs_count(firing, obj.id, 3)
    assert (a.fired, b.fired) == (2, 1)
    assert sorted(r.scheduled_for_unix for r in runs) == [START + 60 * i for i in (1, 2, 3)]
    assert len(await firing.tasks(WS)) == 3


@pytest.mark.parametrize("window", [0, 7200])
async def test_the_service_default_window_applies_without_one(firing: Stack, window: int) -> None:
    # window 0 on the objective: the service default (3600 s) decides
    obj = await _create(firing, cron_expr="@every 2h", catchup_window_seconds=window)
    _advance(firing, 7200 + 5400)  # the slot is 90 minutes late
    (run,) = await _runs_count(firing, obj.id, 1)
    assert run.status == ("missed" if window == 0 else "queued")
