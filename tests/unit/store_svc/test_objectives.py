"""Objectives and their runs on both backends: validation, planning, statistics, auto-pause,
runs counted once, audited changes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from store_svc.db import Database
from store_svc.keys import Keys
from store_svc.objective_runs import ObjectiveRuns
from store_svc.objectives import Objectives
from store_svc.tasks import Tasks
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.fakes import FrozenClock

# 2026-01-05 12:00:00 UTC, a Monday
NOW = int(datetime(2026, 1, 5, 12, 0, tzinfo=ZoneInfo("UTC")).timestamp())


def _obj(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workspace_id": "ws",
        "context_id": "ctx",
        "title": "digest",
        "prompt": "summarise",
        "trigger_type": "schedule",
        "cron_expr": "0 9 * * *",
        "active": True,
    }
    return {**base, **kw}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def keys(clock: FrozenClock) -> Keys:
    return Keys(clock)


async def test_schedule_in_a_timezone_plans_the_next_runs(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives = Objectives(db, clock, keys)
    made = await objectives.create(_obj(timezone="Asia/Tokyo", cron_expr=" 0  9 * * * "), "a")
    # 12:00 UTC is 21:00 in Tokyo: the next 09:00 Tokyo is tomorrow 00:00 UTC
    first = int(datetime(2026, 1, 6, 0, 0, tzinfo=ZoneInfo("UTC")).timestamp())
    assert made["cron_expr"] == "0 9 * * *" and made["next_run_unix"] == first
    assert made["next_runs_unix"] == [first + day * 86400 for day in range(5)]
    assert made["health_state"] == "healthy" and made["id"].startswith("obj_")

    every = await objectives.create(_obj(cron_expr="@every 1h30m"), "a")
    assert every["next_run_unix"] == NOW + 5400
    assert every["next_runs_unix"][:2] == [NOW + 5400, NOW + 10800]
    daily = await objectives.create(_obj(cron_expr="@daily", next_run_unix=NOW + 5), "a")
    assert daily["next_run_unix"] == NOW + 5  # an explicit first run wins

    event = await objectives.create(
        _obj(trigger_type="Event", event_key="Markdown.Updated", cron_expr="0 * * * *"), "a"
    )
    assert event["event_key"] == "markdown.updated" and event["cron_expr"] is None
    assert event["next_run_unix"] is None and event["next_runs_unix"] == []

    once = await objectives.create(_obj(trigger_type="at", run_at_unix=NOW + 60), "a")
    assert once["next_run_unix"] == NOW + 60 and once["next_runs_unix"] == [NOW + 60]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cron_expr": "0 9 * * * *"}, "cron_expr"),  # 6 fields
        ({"cron_expr": "61 * * * *"}, "cron_expr"),
        ({"cron_expr": "@every soon"}, "cron_expr"),
        ({"cron_expr": ""}, "cron_expr"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"trigger_type": ""}, "trigger_type"),
        ({"trigger_type": "event"}, "event_key"),
        ({"trigger_type": "at", "run_at_unix": NOW - 1}, "run_at_unix"),
        ({"trigger_type": "at"}, "run_at_unix"),
        ({"title": " "}, "title"),
        ({"workspace_id": ""}, "workspace_id"),
        ({"overlap_policy": "queue-all"}, "overlap_policy"),
        ({"catchup_window_seconds": -1}, "catchup_window_seconds"),
    ],
)
async def test_invalid_objective_names_the_field_and_stores_nothing(
    db: Database, clock: FrozenClock, keys: Keys, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await Objectives(db, clock, keys).create(_obj(**fields), "a")
    assert bad.value.field == field
    assert await db.read(lambda c: c.all("SELECT id FROM objectives")) == []


async def test_failures_feed_statistics_and_pause_with_the_reason(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives, runs = Objectives(db, clock, keys), ObjectiveRuns(db, clock, keys)
    obj = await objectives.create(_obj(), "a")
    for n in range(1, 7):
        clock.ms += 1000
        obj, _ = await runs.record(
            {
                "objective_id": obj["id"],
                "outcome": "failed",
                "error": f"boom {n}",
                "duration_ms": 100 * n,
                "next_run_unix": NOW + 3600,
                "auto_pause_after_failures": 6,
            },
            "svc:scheduler",
        )
        if n == 2:
            assert obj["health_state"] == "degraded" and obj["active"]
    assert obj["run_count"] == 6 and obj["failure_count"] == 6 and obj["consecutive_failures"] == 6
    assert [e["error"] for e in obj["recent_errors"]] == [f"boom {n}" for n in range(2, 7)]
    assert obj["last_error"] == "boom 6" and obj["last_failure_unix"] == NOW + 6
    assert obj["avg_run_duration_ms"] == 350 and obj["total_run_duration_ms"] == 2100
    assert not obj["active"] and obj["next_run_unix"] is None and obj["next_runs_unix"] == []
    assert obj["auto_paused_reason"] == "auto-paused after 6 consecutive failures"
    assert obj["health_state"] == "auto_paused"
    assert [o["id"] for o in await objectives.list_due(NOW + 10**6, 0)] == []

    resumed = await objectives.update(obj["id"], {"active": True}, "admin:ops")
    assert resumed["active"] and resumed["auto_paused_reason"] is None
    assert resumed["next_run_unix"] == int(
        datetime(2026, 1, 6, 9, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    ok, run = await runs.record(
        {"objective_id": obj["id"], "outcome": "succeeded", "duration_ms": 50}, "svc:scheduler"
    )
    assert ok["consecutive_failures"] == 0 and ok["consecutive_successes"] == 1
    assert ok["last_error"] is None and ok["health_state"] == "healthy"
    assert ok["success_count"] == 1 and run["finished_at_unix"] == NOW + 6
    actions = await db.read(
        lambda c: c.all("SELECT action, actor FROM audit_log ORDER BY created_at_unix, action")
    )
    assert [(a["action"], a["actor"]) for a in actions] == [
        ("objective.created", "a"),
        ("objective.auto_paused", "svc:scheduler"),
        ("objective.resumed", "admin:ops"),
    ]


async def test_a_queued_run_is_counted_once_when_its_task_finishes(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives, runs = Objectives(db, clock, keys), ObjectiveRuns(db, clock, keys)
    obj = await objectives.create(_obj(), "a")
    _, queued = await runs.record(
        {"objective_id": obj["id"], "outcome": "queued", "task_id": "t1", "scheduled_for_unix": 7},
        "svc:scheduler",
    )
    fresh = await objectives.get(obj["id"])
    assert fresh["run_count"] == 0 and fresh["last_run_unix"] == NOW
    results = await asyncio.gather(
        *(
            runs.finish({"run_id": queued["id"], "outcome": "failed", "error": "x"}, "s")
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, FailedPrecondition) for r in results if isinstance(r, BaseException))
    after = await objectives.get(obj["id"])
    assert after["run_count"] == 1 and after["failure_count"] == 1
    (listed,) = (await runs.list(obj["id"], 0, ""))[0]
    assert listed["outcome"] == "failed" and listed["task_id"] == "t1"
    with pytest.raises(NotFound):
        await runs.finish({"run_id": "nope", "outcome": "succeeded"}, "s")
    with pytest.raises(InvalidArgument):
        await runs.finish({"run_id": queued["id"], "outcome": "skipped"}, "s")


async def test_one_run_per_task_started_once_and_one_objective_per_key(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives, runs = Objectives(db, clock, keys), ObjectiveRuns(db, clock, keys)
    made = await asyncio.gather(
        *(objectives.create(_obj(idempotency_key="k-1"), "a") for _ in range(8))
    )
    assert len({m["id"] for m in made}) == 1
    oid = made[0]["id"]
    rec = {"objective_id": oid, "outcome": "queued", "task_id": "t9", "trigger": "manual"}
    recorded = await asyncio.gather(*(runs.record(rec, "s") for _ in range(8)))
    assert len({run["id"] for _, run in recorded}) == 1  # one run for the task
    rid = recorded[0][1]["id"]
    started = await runs.start({"run_id": rid, "started_at_unix": NOW + 5})
    assert (started["outcome"], started["started_at_unix"]) == ("running", NOW + 5)
    assert (await runs.start({"run_id": rid}))["outcome"] == "running"  # again: no change
    await runs.finish({"run_id": rid, "outcome": "succeeded"}, "s")
    with pytest.raises(FailedPrecondition):
        await runs.start({"run_id": rid})  # closed: not running again
    with pytest.raises(NotFound):
        await runs.start({"run_id": "nope"})


async def test_pause_keeps_next_run_and_a_new_cron_replans(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives = Objectives(db, clock, keys)
    obj = await objectives.create(_obj(), "a")
    paused = await objectives.update(obj["id"], {"active": False}, "admin:ops")
    assert paused["next_run_unix"] == obj["next_run_unix"] and paused["health_state"] == "paused"
    assert paused["next_runs_unix"] == []
    moved = await objectives.update(obj["id"], {"active": True, "cron_expr": "30 12 * * *"}, "x")
    assert moved["next_run_unix"] == NOW + 1800
    with pytest.raises(InvalidArgument) as bad:
        await objectives.update(obj["id"], {"cron_expr": "nope"}, "x")
    assert bad.value.field == "cron_expr"
    assert (await objectives.get(obj["id"]))["cron_expr"] == "30 12 * * *"
    to_event = await objectives.update(
        obj["id"], {"trigger_type": "event", "event_key": "custom.ping"}, "x"
    )
    assert to_event["cron_expr"] is None and to_event["next_run_unix"] is None
    listed = await objectives.list("ws", False, 0, "custom.ping")
    assert [o["id"] for o in listed] == [obj["id"]]
    await ObjectiveRuns(db, clock, keys).record(
        {"objective_id": obj["id"], "outcome": "skipped"}, "s"
    )
    await objectives.delete(obj["id"], "admin:ops")
    with pytest.raises(NotFound):
        await objectives.get(obj["id"])
    (kept,) = (await ObjectiveRuns(db, clock, keys).list(obj["id"], 0, ""))[0]  # history stays
    assert kept["outcome"] == "skipped"
    with pytest.raises(NotFound):
        await objectives.delete(obj["id"], "admin:ops")
    audit = await db.read(
        lambda c: c.all(
            "SELECT before_json, after_json FROM audit_log WHERE action = 'objective.paused'"
        )
    )
    assert (
        '"active": true' in audit[0]["before_json"] and '"active": false' in audit[0]["after_json"]
    )


async def test_due_objectives_earliest_first(db: Database, clock: FrozenClock, keys: Keys) -> None:
    objectives = Objectives(db, clock, keys)
    late = await objectives.create(_obj(next_run_unix=NOW - 10), "a")
    early = await objectives.create(_obj(next_run_unix=NOW - 20), "a")
    once = await objectives.create(_obj(trigger_type="at", run_at_unix=NOW + 30), "a")
    await objectives.create(_obj(next_run_unix=NOW + 100), "a")
    await objectives.create(_obj(next_run_unix=NOW - 30, active=False), "a")
    due = await objectives.list_due(NOW + 30, 0)
    assert [o["id"] for o in due] == [early["id"], late["id"], once["id"]]
    with pytest.raises(InvalidArgument):
        await objectives.list("", True, 0, "")


async def test_a_reserved_run_judges_the_overlap_once_per_objective(
    db: Database, clock: FrozenClock, keys: Keys
) -> None:
    objectives, runs = Objectives(db, clock, keys), ObjectiveRuns(db, clock, keys)
    tasks = Tasks(db, clock, keys)
    oid = (await objectives.create(_obj(cron_expr="@every 1h"), "a"))["id"]
    before = (await objectives.get(oid))["next_run_unix"]

    def reserve(key: str, **kw: object) -> dict[str, object]:
        return {"objective_id": oid, "outcome": "queued", "run_key": key, "judge_overlap": True,
                "next_run_unix": NOW + 7200, **kw}  # fmt: skip

    # eight firings with different keys at once: one reserves, seven are skipped
    judged = await asyncio.gather(*(runs.record(reserve(f"k{i}"), "s") for i in range(8)))
    won = [run for _, run in judged if run["outcome"] == "queued"]
    lost = [run for _, run in judged if run["outcome"] == "skipped"]
    assert len(won) == 1 and len(lost) == 7
    assert all(r["error"] == "skipped: the previous run (a firing in flight) is still under way"
               for r in lost)  # fmt: skip
    key = str(won[0]["run_key"])
    # the reservation is not listed; the skipped firings moved the next run on
    assert [r["outcome"] for r in (await runs.list(oid, 0, ""))[0]] == ["skipped"] * 7
    assert (await objectives.get(oid))["next_run_unix"] == NOW + 7200
    # a reservation alone keeps its objective due until its task is attached
    other = (await objectives.create(_obj(cron_expr="@every 1h"), "a"))["id"]
    await runs.record({**reserve("k-other"), "objective_id": other}, "s")
    assert (await objectives.get(other))["next_run_unix"] == before
    again = await runs.record(reserve(key), "s")  # a retry of the winner: its reservation
    assert again[1]["id"] == won[0]["id"]

    task = await tasks.create(_task(oid, key))
    obj, attached = await runs.record(
        {"objective_id": oid, "outcome": "queued", "run_key": key, "task_id": task["id"],
         "next_run_unix": NOW + 7200}, "s",
    )  # fmt: skip
    assert (attached["id"], attached["task_id"]) == (won[0]["id"], task["id"])
    assert obj["next_run_unix"] == NOW + 7200
    _, busy = await runs.record(reserve("k-later"), "s")
    assert busy["error"] == f"skipped: the previous run (task {task['id']}) is still under way"

    await tasks.cancel(task["id"], "admin:a")  # its task is over: the next firing reserves
    _, free = await runs.record(reserve("k-free"), "s")
    assert free["outcome"] == "queued" and not free["task_id"]
    # ...and if that firing stops before enqueueing, it blocks for a minute only
    _, blocked = await runs.record(reserve("k-blocked"), "s")
    assert blocked["outcome"] == "skipped"
    clock.advance(61)
    _, next_one = await runs.record(reserve("k-next"), "s")
    assert next_one["outcome"] == "queued"
    listed = {r["id"]: r for r in (await runs.list(oid, 0, ""))[0]}
    assert listed[free["id"]]["outcome"] == "missed"  # closed, never silent
    assert "stopped before its task was enqueued" in listed[free["id"]]["error"]


def _task(oid: str, run_key: str) -> dict[str, object]:
    return {"workspace_id": "ws", "context_id": "ctx", "title": "digest", "prompt": "p",
            "kind": "objective", "objective_id": oid, "run_key": run_key}  # fmt: skip
