"""What running tasks need from the queue, on SQLite and PostgreSQL: one turn per
conversation in order, released leases that spend no attempt, cooperative cancel, and the
whole output stored with the result."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.db import Database
from store_svc.dead_letters import DeadLetters
from store_svc.keys import Keys
from store_svc.queue import Backoff, Queue
from store_svc.tasks import LANES, Tasks
from store_svc.wakeups import Wakeups
from svckit.errors import Aborted, FailedPrecondition
from tests.fakes import SteppedClock

BASE = {"workspace_id": "ws1", "context_id": "ctx1", "title": "t", "prompt": "do it"}
TURN = {**BASE, "kind": "turn", "lane": "turn"}


def parts(db: Database, clock: SteppedClock | None = None) -> tuple[Tasks, Queue]:
    c = clock or SteppedClock()
    keys = Keys(c)
    return Tasks(db, c, keys), Queue(db, c, keys, Backoff(base_ms=1, cap_ms=5))


async def test_one_turn_per_context_at_a_time_in_order(db: Database) -> None:
    tasks, queue = parts(db)
    first = await tasks.create({**TURN, "prompt": "one"})
    second = await tasks.create({**TURN, "prompt": "two"})
    other = await tasks.create({**TURN, "context_id": "ctx2", "prompt": "elsewhere"})
    background = await tasks.create({**BASE, "lane": "background"})
    got = await queue.claim("w", 10, 60_000)
    # the second turn of ctx1 waits behind the first; other contexts and kinds do not
    assert [t["id"] for t in got] == [first["id"], other["id"], background["id"]]
    assert await queue.claim("w", 10, 60_000) == []
    await queue.complete(first["id"], got[0]["lease_token"], "ok", "", "reply one")
    (nxt,) = await queue.claim("w", 10, 60_000)
    assert nxt["id"] == second["id"]


async def test_a_later_turn_waits_while_an_older_one_backs_off(db: Database) -> None:
    tasks, queue = parts(db)
    first = await tasks.create(TURN)
    second = await tasks.create(TURN)
    (t,) = await queue.claim("w", 10, 60_000)
    row, _ = await queue.fail(t["id"], t["lease_token"], "flaky", True)
    assert row["status"] == "queued"
    again = await queue.claim("w", 10, 60_000, wait_ms=2000)
    # never the second message before the first: the retry of the first comes back first
    assert [r["id"] for r in again] == [first["id"]]
    assert second["id"] not in {r["id"] for r in again}


async def test_release_returns_the_task_without_spending_an_attempt(db: Database) -> None:
    tasks, queue = parts(db)
    made = await tasks.create({**BASE, "max_attempts": 1})
    (t,) = await queue.claim("w", 1, 60_000)
    assert t["attempts"] == 1
    out = await queue.release([(t["id"], t["lease_token"]), ("nope", 1)])
    assert out[0] == (made["id"], "queued")
    assert isinstance(out[1][1], Exception) and out[1][1].code == "NOT_FOUND"
    row = await tasks.get(made["id"])
    assert (row["status"], row["attempts"], row["lease_expires_at_ms"]) == ("queued", 0, 0)
    (again,) = await queue.claim("w2", 1, 60_000)
    assert again["attempts"] == 1  # a single-attempt task still gets its one attempt
    stale = await queue.release([(t["id"], t["lease_token"])])
    assert isinstance(stale[0][1], Aborted)


async def test_cancel_of_a_running_task_waits_for_its_worker(db: Database) -> None:
    tasks, queue = parts(db)
    made = await tasks.create(BASE)
    (t,) = await queue.claim("w", 1, 60_000)
    asked = await tasks.cancel(t["id"], "admin:a", "enough")
    assert asked["status"] == "running" and asked["cancel_requested_at_unix"]
    assert (await tasks.cancel(t["id"], "admin:a"))["status"] == "running"  # asked already
    _, cancel = await queue.heartbeat(t["id"], t["lease_token"], 60_000)
    assert cancel is True
    assert (await tasks.get(made["id"]))["status"] == "running"
    assert await queue.release([(t["id"], t["lease_token"])]) == [(made["id"], "canceled")]
    row = await tasks.get(made["id"])
    assert (row["status"], row["cancel_reason"]) == ("canceled", "enough")
    assert row["finished_at_unix"]
    with pytest.raises(FailedPrecondition):
        await tasks.cancel(made["id"], "admin:a")


async def test_a_cancel_asked_of_a_dead_worker_ends_canceled_at_lease_expiry(
    db: Database,
) -> None:
    clock = SteppedClock()
    tasks, queue = parts(db, clock)
    made = await tasks.create(BASE)
    (t,) = await queue.claim("w", 1, 1000)
    await tasks.cancel(t["id"], "admin:a")
    clock.offset_ms += 5000
    assert await queue.claim("w2", 1, 1000) == []
    assert (await tasks.get(made["id"]))["status"] == "canceled"


async def test_heartbeat_without_cancel_and_queued_cancel_at_once(db: Database) -> None:
    tasks, queue = parts(db)
    running = await tasks.create(BASE)
    (t,) = await queue.claim("w", 1, 60_000)
    _, cancel = await queue.heartbeat(t["id"], t["lease_token"], 60_000)
    assert cancel is False
    queued = await tasks.create(BASE)
    assert (await tasks.cancel(queued["id"], "admin:a"))["status"] == "canceled"
    assert (await tasks.get(running["id"]))["status"] == "running"


async def test_a_claim_for_turns_only_waits_through_other_work(db: Database) -> None:
    clock, wake = SteppedClock(), Wakeups()
    keys = Keys(clock)
    tasks, queue = Tasks(db, clock, keys, wake), Queue(db, clock, keys, wake=wake)
    waiting = asyncio.create_task(queue.claim("w", 1, 60_000, lanes=["turn"], wait_ms=10_000))
    await asyncio.sleep(0)  # let the claim start waiting
    general = await tasks.create(BASE)
    turn = await tasks.create(TURN)
    (got,) = await asyncio.wait_for(waiting, 10)
    assert got["id"] == turn["id"]
    assert (await tasks.get(general["id"]))["status"] == "queued"


async def test_wakeups_reach_the_waiters_of_the_lane() -> None:
    wake = Wakeups()
    turns_only = asyncio.create_task(wake.wait(10, frozenset({LANES["turn"]})))
    any_lane = asyncio.create_task(wake.wait(10))
    await asyncio.sleep(0)  # both are waiting now
    seen = wake.generation(frozenset({LANES["turn"]}))
    wake.notify(1, [LANES["task"]])
    await asyncio.wait_for(any_lane, 5)
    assert not turns_only.done() and wake.generation(frozenset({LANES["turn"]})) == seen
    wake.notify(1, [LANES["turn"]])
    await asyncio.wait_for(turns_only, 5)


async def test_a_claim_whose_caller_went_away_leaves_nothing_leased(db: Database) -> None:
    tasks, queue = parts(db)
    made = await tasks.create(BASE)
    claim = asyncio.create_task(queue.claim("w", 1, 60_000, wait_ms=5000))
    await asyncio.sleep(0)  # the claim is committing now
    claim.cancel()
    with pytest.raises(asyncio.CancelledError):
        await claim
    row = await tasks.get(made["id"])
    assert (row["status"], row["attempts"]) == ("queued", 0)
    (again,) = await queue.claim("w2", 1, 60_000)
    assert again["id"] == made["id"]


async def test_concurrent_claimers_never_run_two_turns_of_a_context(db: Database) -> None:
    tasks, queue = parts(db)
    for n in range(12):
        await tasks.create({**TURN, "prompt": f"m{n}"})
    running: set[str] = set()
    order: list[str] = []

    async def worker(name: str) -> None:
        while len(order) < 12:
            got = await queue.claim(name, 3, 60_000, wait_ms=300)
            for t in got:
                assert t["context_id"] not in running, "two turns of one context at once"
                running.add(t["context_id"])
                order.append(t["prompt"])
                await asyncio.sleep(0)  # let the other claimers try meanwhile
                running.discard(t["context_id"])
                await queue.complete(t["id"], t["lease_token"], "ok", "", "")

    await asyncio.wait_for(asyncio.gather(*(worker(f"w{n}") for n in range(6))), 60)
    assert order == [f"m{n}" for n in range(12)]


async def test_stats_count_leases_near_expiry_and_expired_per_lane(db: Database) -> None:
    clock = SteppedClock()
    tasks, queue = parts(db, clock)
    stats = DeadLetters(db, clock, Keys(clock), Wakeups())
    for lane, lease_ms in (("task", 30_000), ("task", 5_000), ("background", 1_000)):
        await tasks.create({**BASE, "lane": lane})
        await queue.claim("w", 1, lease_ms, lanes=[lane])
    by_lane = {x["lane"]: x for x in (await stats.stats("ws1", 10_000))["lanes"]}
    assert (by_lane["task"]["leases_near_expiry"], by_lane["task"]["leases_expired"]) == (1, 0)
    assert by_lane["background"]["leases_near_expiry"] == 1
    clock.advance(6)  # the 5 s and 1 s leases ran out; 24 s left of the other
    by_lane = {x["lane"]: x for x in (await stats.stats("ws1", 10_000))["lanes"]}
    assert (by_lane["task"]["leases_near_expiry"], by_lane["task"]["leases_expired"]) == (0, 1)
    assert (by_lane["background"]["leases_expired"], by_lane["turn"]["leases_expired"]) == (1, 0)
