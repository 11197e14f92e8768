"""Queue conformance: the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.common import SystemClock
from store_svc.db import Database
from store_svc.dead_letters import DeadLetters
from store_svc.keys import Keys
from store_svc.queue import Backoff, Queue
from store_svc.tasks import Tasks
from svckit.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument
from svckit.testing import eventually
from tests.fakes import SteppedClock

BASE = {"workspace_id": "ws1", "context_id": "ctx1", "title": "t", "prompt": "do it"}


def parts(db: Database) -> tuple[Tasks, Queue, DeadLetters]:
    clock = SystemClock()
    keys = Keys(clock)
    return (
        Tasks(db, clock, keys),
        Queue(db, clock, keys, Backoff(base_ms=1, cap_ms=5)),
        DeadLetters(db, clock, keys),
    )


async def test_eight_concurrent_claimers_never_share_a_task(db: Database) -> None:
    tasks, queue, _ = parts(db)
    created = await asyncio.gather(*(tasks.create(BASE) for _ in range(200)))
    claimed: list[str] = []

    async def worker(n: int) -> None:
        while True:
            got = await queue.claim(f"w{n}", 3, 60_000)
            if not got:
                return
            claimed.extend(t["id"] for t in got)

    await asyncio.gather(*(worker(n) for n in range(8)))
    assert sorted(claimed) == sorted(t["id"] for t in created)


async def test_claim_order_is_lane_then_priority_then_age(db: Database) -> None:
    tasks, queue, _ = parts(db)
    bg = await tasks.create({**BASE, "lane": "background", "priority": "p1"})
    low = await tasks.create({**BASE, "priority": "p3"})
    high = await tasks.create({**BASE, "priority": "p1"})
    turn = await tasks.create({**BASE, "lane": "turn", "priority": "p3"})
    got = await queue.claim("w", 10, 60_000)
    assert [t["id"] for t in got] == [turn["id"], high["id"], low["id"], bg["id"]]


async def test_stale_token_completion_is_refused(db: Database) -> None:
    tasks, queue, _ = parts(db)
    await tasks.create(BASE)
    (first,) = await queue.claim("w1", 1, 1)
    (again,) = await eventually(lambda: queue.claim("w2", 1, 60_000))
    assert again["id"] == first["id"] and again["lease_token"] > first["lease_token"]
    with pytest.raises(Aborted):
        await queue.complete(first["id"], first["lease_token"], "late", "")
    done = await queue.complete(again["id"], again["lease_token"], "ok", "")
    assert done["status"] == "succeeded" and done["result_summary"] == "ok"


async def test_dead_worker_task_is_reclaimed_and_completed_once(db: Database) -> None:
    tasks, queue, _ = parts(db)
    task = await tasks.create(BASE)
    (lost,) = await queue.claim("dead-worker", 1, 50)
    assert await queue.claim("other", 1, 60_000) == []  # lease still held
    (mine,) = await eventually(lambda: queue.claim("other", 1, 60_000))
    assert mine["id"] == task["id"] and mine["attempts"] == 2
    await queue.complete(mine["id"], mine["lease_token"], "done", "")
    with pytest.raises(FailedPrecondition):
        await queue.complete(mine["id"], mine["lease_token"], "twice", "")
    with pytest.raises(Aborted):
        await queue.complete(lost["id"], lost["lease_token"], "zombie", "")
    assert (await tasks.get(task["id"]))["result_summary"] == "done"


async def test_heartbeat_keeps_the_lease(db: Database) -> None:
    clock = SteppedClock()
    keys = Keys(clock)
    tasks, queue = Tasks(db, clock, keys), Queue(db, clock, keys, Backoff(base_ms=1, cap_ms=5))
    await tasks.create(BASE)
    (t,) = await queue.claim("w", 1, 200)
    await queue.heartbeat(t["id"], t["lease_token"], 60_000)
    clock.offset_ms += 300  # past the first lease: only the heartbeat keeps it
    assert await queue.claim("thief", 1, 1000) == []
    clock.offset_ms += 60_000  # past the extended lease too: now anyone may reclaim it
    (stolen,) = await queue.claim("thief", 1, 1000)
    assert stolen["id"] == t["id"]


async def test_fail_retries_with_backoff_then_dead_letters_and_replays(db: Database) -> None:
    tasks, queue, dls = parts(db)
    task = await tasks.create({**BASE, "max_attempts": 2})
    (t,) = await queue.claim("w", 1, 60_000)
    row, dl = await queue.fail(t["id"], t["lease_token"], "boom 1", True)
    assert row["status"] == "queued" and dl is None
    (t,) = await eventually(lambda: queue.claim("w", 1, 60_000))
    row, dl = await queue.fail(t["id"], t["lease_token"], "boom 2", True)
    assert row["status"] == "dead" and dl is not None and dl["last_error"] == "boom 2"
    listed, _ = await dls.list("", False, 0, "")
    assert [d["subject_id"] for d in listed] == [task["id"]]
    replayed, letter = await dls.replay(dl["id"], "admin:ops")
    # a new task for the new attempt; the dead one keeps its status and history
    assert (replayed["status"], replayed["retry_of_task"]) == ("queued", task["id"])
    assert (letter["id"], letter["last_error"]) == (dl["id"], "boom 2")
    assert (letter["replayed_as"], letter["replayed_at_unix"] is not None) == (replayed["id"], True)
    with pytest.raises(FailedPrecondition):
        await dls.replay(dl["id"], "admin:ops")
    (t,) = await queue.claim("w", 1, 60_000)
    assert (t["id"], t["attempts"], t["max_attempts"]) == (replayed["id"], 1, 2)
    assert (await queue.complete(t["id"], t["lease_token"], "", ""))["status"] == "succeeded"
    dead = await tasks.get(task["id"])
    assert (dead["status"], dead["attempts"], dead["error_message"]) == ("dead", 2, "boom 2")


async def test_run_key_is_unique(db: Database) -> None:
    tasks, _, _ = parts(db)
    first = await tasks.create({**BASE, "run_key": "objective:o1:100"})
    with pytest.raises(AlreadyExists) as err:
        await tasks.create({**BASE, "run_key": "objective:o1:100"})
    assert err.value.existing_id == first["id"]


async def test_bad_input_names_the_field(db: Database) -> None:
    tasks, _, _ = parts(db)
    with pytest.raises(InvalidArgument) as err:
        await tasks.create({**BASE, "title": "  "})
    assert err.value.field == "title"


async def test_cancel_only_from_queued_or_running(db: Database) -> None:
    tasks, _, _ = parts(db)
    t = await tasks.create(BASE)
    assert (await tasks.cancel(t["id"], "admin:a"))["status"] == "canceled"
    with pytest.raises(FailedPrecondition):
        await tasks.cancel(t["id"], "admin:a")
