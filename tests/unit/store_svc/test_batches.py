"""Batch calls and long-poll claims on both backends: each item of a batch succeeds or is
refused on its own; a waiting claimer gets a task created after it started waiting."""

from __future__ import annotations

import asyncio

from store_svc.common import SystemClock
from store_svc.db import Database
from store_svc.keys import Keys
from store_svc.queue import Queue
from store_svc.tasks import Tasks
from store_svc.wakeups import Wakeups
from svckit.errors import AlreadyExists, DomainError, InvalidArgument

BASE = {"workspace_id": "ws1", "context_id": "ctx1", "title": "t", "prompt": "do it"}


def parts(db: Database) -> tuple[Tasks, Queue]:
    wake, clock = Wakeups(), SystemClock()
    keys = Keys(clock)
    return Tasks(db, clock, keys, wake), Queue(db, clock, keys, wake=wake)


async def test_create_many_refuses_items_on_their_own(db: Database) -> None:
    tasks, queue = parts(db)
    results = await tasks.create_many(
        [
            {**BASE, "run_key": "k1"},
            {**BASE, "prompt": " "},
            {**BASE, "run_key": "k1"},
            {**BASE, "lane": "turn"},
        ]
    )
    first, bad, dup, turn = results
    assert isinstance(bad, InvalidArgument) and bad.field == "prompt"
    assert isinstance(dup, AlreadyExists) and not isinstance(first, DomainError)
    assert dup.details["existing_id"] == first["id"]
    claimed = await queue.claim("w", 10, 60_000)
    assert [t["id"] for t in claimed] == [turn["id"], first["id"]]  # type: ignore[index]


async def test_complete_many_applies_each_with_its_own_token(db: Database) -> None:
    tasks, queue = parts(db)
    await tasks.create_many([BASE] * 3)
    a, b, c = await queue.claim("w", 3, 60_000)
    done = await queue.complete_many(
        [
            (a["id"], a["lease_token"], "ok", "", ""),
            (b["id"], b["lease_token"] + 7, "stale", "", ""),
            ("nope", 1, "", "", ""),
            (c["id"], c["lease_token"], "ok", "tasks/c.md", "the whole answer"),
        ]
    )
    codes = [(tid, err.code if err else None) for tid, err in done]
    assert codes == [(a["id"], None), (b["id"], "ABORTED"), ("nope", "NOT_FOUND"), (c["id"], None)]
    finished = await tasks.get(c["id"])
    assert (finished["result_path"], finished["result_text"]) == ("tasks/c.md", "the whole answer")
    assert (await tasks.get(b["id"]))["status"] == "running"
    again = await queue.complete_many([(a["id"], a["lease_token"], "twice", "", "")])
    assert again[0][1] is not None and again[0][1].code == "FAILED_PRECONDITION"


async def test_a_waiting_claimer_gets_a_task_created_later(db: Database) -> None:
    tasks, queue = parts(db)
    waiting = asyncio.ensure_future(queue.claim("w", 8, 60_000, wait_ms=10_000))
    idle = await queue.claim("w2", 8, 60_000, wait_ms=0)
    assert idle == [] and not waiting.done()
    made = await tasks.create(BASE)
    got = await asyncio.wait_for(waiting, 10)
    assert [t["id"] for t in got] == [made["id"]]
    assert await queue.claim("w", 8, 60_000, wait_ms=30) == []  # times out empty
