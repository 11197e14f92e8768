"""Time as a user of cron sees it, against a real store and orchestrator on a moved clock: a
daily cron in New York fires at 09:00 local time across both DST changes; a scheduler
restarted across a due time leaves exactly one run (inside the catch-up window) or one
recorded miss (outside it); an event fires each matching objective once per path and
30-second change bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from svckit import schedule, testing
from svckit.pki import PkiPaths
from tests.stores import serving_store
from tests.unit.scheduler_svc.conftest import (
    MovableClock,
    Stack,
    serving_orchestrator,
    serving_scheduler,
)

NY = ZoneInfo("America/New_York")
WS = "ws-time"


def _ny(*args: int) -> int:
    return int(datetime(*args, tzinfo=NY).timestamp())  # type: ignore[misc]


def test_a_new_york_cron_keeps_local_time_across_both_dst_changes() -> None:
    cad = schedule.parse("0 9 * * *", "America/New_York")
    fall = [cad.next_after(_ny(2030, 11, 1, 12))]
    while len(fall) < 4:
        fall.append(cad.next_after(fall[-1]))
    assert fall == [_ny(2030, 11, d, 9) for d in (2, 3, 4, 5)]
    assert [b - a for a, b in pairwise(fall)] == [25 * 3600, 86400, 86400]
    spring = [cad.next_after(_ny(2031, 3, 7, 12))]
    while len(spring) < 4:
        spring.append(cad.next_after(spring[-1]))
    assert spring == [_ny(2031, 3, d, 9) for d in (8, 9, 10, 11)]
    assert spring[2] - spring[1] == 86400 and spring[1] - spring[0] == 23 * 3600


async def _create(stack: Stack, **kw: Any) -> Any:
    req = rpc.CreateObjectiveRequest(
        workspace_id=WS, context_id="ctx-1", title="T", prompt="Do it", **kw
    )
    made: rpc.CreateObjectiveResponse = await stack.scheduler().CreateObjective(req, timeout=5)
    return made.objective


async def _runs(stack: Stack, oid: str, n: int) -> list[Any]:
    async def check() -> list[Any] | None:
        if stack.loop is not None:
            stack.loop.wake()
        reply = await stack.scheduler().ListObjectiveRuns(
            rpc.ListObjectiveRunsRequest(id=oid, limit=500), timeout=5
        )
        return list(reply.items) if len(reply.items) >= n else None

    runs: list[Any] = await testing.eventually(check, f"{n} runs")
    assert len(runs) == n, runs
    return runs


def _to(stack: Stack, unix: int) -> None:
    assert stack.clock is not None and stack.loop is not None
    stack.clock.ms = unix * 1000
    stack.loop.wake()


@pytest.mark.parametrize(
    ("start", "local_days", "utc_hours"),
    [
        ((2030, 11, 2, 8), (2, 3, 4), (13, 14, 14)),  # EDT -> EST on Nov 3
        ((2031, 3, 8, 8), (8, 9, 10), (14, 13, 13)),  # EST -> EDT on Mar 9
    ],
)
async def test_the_loop_fires_at_local_nine_across_a_dst_change(
    firing: Stack, start: tuple[int, ...], local_days: tuple[int, ...], utc_hours: tuple[int, ...]
) -> None:
    _to(firing, _ny(*start))
    obj = await _create(
        firing,
        trigger_type="schedule",
        cron_expr="0 9 * * *",
        timezone="America/New_York",
        overlap_policy="allow",
    )
    year, month = start[0], start[1]
    slots_ = [_ny(year, month, d, 9) for d in local_days]
    assert list(obj.next_runs_unix)[:3] == slots_
    assert [datetime.fromtimestamp(s, ZoneInfo("UTC")).hour for s in slots_] == list(utc_hours)
    for n, slot in enumerate(slots_, start=1):
        _to(firing, slot + 2)
        runs = await _runs(firing, obj.id, n)
        assert (runs[0].status, runs[0].scheduled_for_unix) == ("queued", slot)


@pytest.fixture
async def parts(tmp_path: Path, pki: PkiPaths) -> AsyncIterator[tuple[int, int, MovableClock]]:
    """A store and an orchestrator that outlive the schedulers a test starts and stops."""
    clock = MovableClock()
    async with (
        serving_store(pki, tmp_path, clock) as store_ports,
        serving_orchestrator(pki, store_ports.grpc, clock.now) as orch_port,
    ):
        yield store_ports.grpc, orch_port, clock


@pytest.mark.parametrize(("down", "outcome"), [(1200, "queued"), (5400, "missed")])
async def test_a_restart_across_a_due_time_leaves_one_run_or_one_miss(
    pki: PkiPaths, parts: tuple[int, int, MovableClock], down: int, outcome: str
) -> None:
    store_port, orch_port, clock = parts
    fast = {"scheduler_tick_seconds": 0.05, "scheduler_lease_ttl_seconds": 600.0}
    async with serving_scheduler(pki, store_port, orch_port, clock.now, **fast) as (port, loop):
        stack = Stack(pki, port, store_port, orch_port, loop, clock)
        obj = await _create(stack, trigger_type="schedule", cron_expr="0 9 * * *")
        await stack.close()
    # down from before 09:00 until `down` seconds after it (catch-up window: 1 hour)
    clock.ms = (obj.next_run_unix + down) * 1000
    async with serving_scheduler(pki, store_port, orch_port, clock.now, **fast) as (port, loop):
        stack = Stack(pki, port, store_port, orch_port, loop, clock)
        (run,) = await _runs(stack, obj.id, 1)
        assert (run.status, run.scheduled_for_unix) == (outcome, obj.next_run_unix)
        assert run.trigger == ("catch_up" if outcome == "queued" else "schedule")
        tasks = await stack.tasks(WS)
        assert [t.id for t in tasks] == ([run.task_id] if outcome == "queued" else [])
        for _ in range(3):  # more ticks change nothing
            loop.wake()
            assert len(await _runs(stack, obj.id, 1)) == 1
        got = await stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id=obj.id))
        assert got.objective.next_run_unix == obj.next_run_unix + 86400
        await stack.close()


async def test_an_event_fires_once_per_path_and_change_bucket(firing: Stack) -> None:
    obj = await _create(
        firing, trigger_type="event", event_key="markdown.updated", overlap_policy="allow"
    )
    notify = firing.scheduler("svc:qmd").NotifyEvent

    async def changed(path: str) -> list[str]:
        req = rpc.NotifyEventRequest(workspace_id=WS, event_key="markdown.updated", path=path)
        reply = await notify(req, timeout=5)
        return [r.status for r in reply.runs]

    assert firing.clock is not None
    firing.clock.ms = (firing.clock.ms // 30_000) * 30_000  # the start of a bucket
    assert await changed("notes/a.md") == ["queued"]
    assert await changed("notes/a.md") == ["skipped"]  # the same save announced again
    assert await changed("notes/b.md") == ["queued"]  # another file, same bucket
    firing.clock.advance(29)
    assert await changed("notes/a.md") == ["skipped"]
    firing.clock.advance(1)  # the next bucket
    assert await changed("notes/a.md") == ["queued"]
    runs = await _runs(firing, obj.id, 3)
    assert sorted(r.event_id.split("@")[0] for r in runs) == ["notes/a.md"] * 2 + ["notes/b.md"]
    assert len(await firing.tasks(WS)) == 3
