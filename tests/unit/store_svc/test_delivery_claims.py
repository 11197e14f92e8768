"""Delivery ledger v2 on both backends: a due delivery is leased to one connectors replica at
a time, each part is recorded before and after its platform call, a retry resumes after the
last part sent, and a lease that runs out mid-send leaves the delivery `unknown`."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.db import Database
from store_svc.deliveries import Deliveries
from store_svc.delivery_claims import DeliveryClaims
from store_svc.keys import Keys
from store_svc.wakeups import Wakeups
from svckit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from tests.fakes import FrozenClock


def _ledger(db: Database) -> tuple[Deliveries, DeliveryClaims, FrozenClock]:
    clock, wake = FrozenClock(1_700_000_000), Wakeups()
    return Deliveries(db, clock, Keys(clock), wake), DeliveryClaims(db, clock, wake), clock


def _new(key: str, connector: str = "codex", **extra: str) -> dict[str, str]:
    return {"idempotency_key": key, "connector": connector, "chat_id": "c1", "text": "hi", **extra}


async def _part(claims: DeliveryClaims, did: str, owner: str, i: int, n: int, status: str,
                **extra: object) -> dict[str, object]:  # fmt: skip
    return await claims.record_part(
        {"id": did, "owner": owner, "index": i, "count": n, "status": status, **extra}
    )


async def test_one_replica_claims_a_due_delivery(db: Database) -> None:
    deliveries, claims, clock = _ledger(db)
    made = await deliveries.create(_new("k1", workspace_id="ws1", subject="Hello"))
    await deliveries.create(_new("k2", connector="telegram"))
    first = await claims.claim(["codex"], "a", 10_000, 10, 0)
    second = await claims.claim(["codex"], "b", 10_000, 10, 0)
    assert [d["id"] for d in first] == [made["id"]] and second == []
    assert first[0]["workspace_id"] == "ws1" and first[0]["subject"] == "Hello"
    clock.advance(11)  # the lease ran out while pending: nothing was in flight
    again = await claims.claim(["codex"], "b", 10_000, 10, 0)
    assert [d["lease_owner"] for d in again] == ["b"]
    with pytest.raises(Aborted):
        await _part(claims, made["id"], "a", 0, 1, "sending", text="hi")


async def test_parts_are_recorded_and_a_retry_resumes_after_the_last_sent(db: Database) -> None:
    deliveries, claims, clock = _ledger(db)
    made = await deliveries.create(_new("long", lease_owner="a"))
    did = made["id"]
    await _part(claims, did, "a", 0, 3, "sending", text="one")
    mid = await _part(claims, did, "a", 0, 3, "sent", platform_message_id="m1")
    assert mid["status"] == "pending" and mid["lease_owner"] == "a"
    await _part(claims, did, "a", 1, 3, "sending", text="two")
    retry = await _part(claims, did, "a", 1, 3, "pending", last_error="503", retry_after_ms=5000)
    assert retry["status"] == "pending" and retry["next_attempt_at_ms"] == clock.ms + 5000
    assert [(p["part_index"], p["status"]) for p in retry["parts"]] == [(0, "sent")]
    assert await claims.claim(["codex"], "b", 10_000, 10, 0) == []  # not due yet
    clock.advance(5)
    [back] = await claims.claim(["codex"], "b", 10_000, 10, 0)
    assert [p["text"] for p in back["parts"] if p["status"] == "sent"] == ["one"]
    for i, text in ((1, "two"), (2, "three")):
        await _part(claims, did, "b", i, 3, "sending", text=text)
        done = await _part(claims, did, "b", i, 3, "sent", platform_message_id=f"m{i + 1}")
    assert done["status"] == "sent" and done["platform_message_id"] == "m1"
    assert [p["platform_message_id"] for p in done["parts"]] == ["m1", "m2", "m3"]
    with pytest.raises(AlreadyExists):
        await deliveries.create(_new("long"))


async def test_a_lease_lost_while_sending_makes_it_unknown_never_resent(db: Database) -> None:
    deliveries, claims, clock = _ledger(db)
    made = await deliveries.create(_new("crash", lease_owner="a", lease_ms="1000"))
    await _part(claims, made["id"], "a", 0, 1, "sending", text="hi", lease_ms=1000)
    clock.advance(2)
    assert await claims.claim(["codex"], "b", 10_000, 10, 0) == []
    row = await deliveries.get(made["id"], "")
    assert row["status"] == "unknown" and "may or may not" in row["last_error"]
    assert [p["status"] for p in row["parts"]] == ["unknown"]
    with pytest.raises(FailedPrecondition):  # the late outcome of the lost replica
        await _part(claims, made["id"], "a", 0, 1, "sent", platform_message_id="m")
    assert [r["id"] for r in await deliveries.list("unknown", "", 10)] == [made["id"]]


async def test_rejected_is_failed_and_bad_steps_are_refused(db: Database) -> None:
    deliveries, claims, _ = _ledger(db)
    made = await deliveries.create(_new("bad", lease_owner="a"))
    with pytest.raises(FailedPrecondition):  # an outcome before sending
        await _part(claims, made["id"], "a", 0, 1, "sent")
    with pytest.raises(InvalidArgument):
        await _part(claims, made["id"], "a", 1, 1, "sending")
    await _part(claims, made["id"], "a", 0, 1, "sending", text="hi")
    row = await _part(claims, made["id"], "a", 0, 1, "failed", last_error="400 chat not found")
    assert row["status"] == "failed" and row["lease_owner"] is None
    with pytest.raises(InvalidArgument):
        await deliveries.list("bogus", "", 10)
    with pytest.raises(InvalidArgument):
        await claims.claim([], "a", 0, 0, 0)


async def test_a_new_delivery_wakes_a_waiting_claimer(db: Database) -> None:
    deliveries, claims, _ = _ledger(db)
    claims._recheck_s = 30  # only the wake-up can end the wait early
    waiting = asyncio.create_task(claims.claim(["codex"], "a", 10_000, 10, 20_000))
    await asyncio.sleep(0)
    made = await deliveries.create(_new("wake"))
    got = await asyncio.wait_for(waiting, 10)
    assert [d["id"] for d in got] == [made["id"]]


async def test_two_replicas_claiming_at_once_never_share_a_delivery(db: Database) -> None:
    deliveries, claims, _ = _ledger(db)
    made = {(await deliveries.create(_new(f"k{i}")))["id"] for i in range(30)}
    got = await asyncio.gather(*(claims.claim(["codex"], f"r{i}", 10_000, 7, 0) for i in range(6)))
    ids = [d["id"] for batch in got for d in batch]
    assert len(ids) == len(set(ids)) == 30 and set(ids) == made


async def test_a_delivery_created_with_its_first_part_sending(db: Database) -> None:
    """Publish's one write before the platform call: created leased and `sending`, part 0
    recorded; its outcome then follows as after RecordDeliveryPart(sending); a lease that
    runs out leaves it `unknown`, never pending again."""
    deliveries, claims, clock = _ledger(db)
    with pytest.raises(InvalidArgument, match="lease_owner"):
        await deliveries.create(_new("nobody", sending_text="hi"))
    with pytest.raises(NotFound):
        await deliveries.get("", "nobody")
    made = await deliveries.create(_new("at-once", lease_owner="a", sending_text="hi"))
    assert made["status"] == "sending" and made["attempts"] == 1
    assert [(p["part_index"], p["status"], p["text"]) for p in made["parts"]] == [
        (0, "sending", "hi")
    ]
    assert await claims.claim(["codex"], "b", 10_000, 10, 0) == []
    done = await _part(claims, made["id"], "a", 0, 1, "sent", platform_message_id="m1")
    assert done["status"] == "sent" and done["parts"][0]["platform_message_id"] == "m1"
    lost = await deliveries.create(_new("lost", lease_owner="a", sending_text="hi"))
    clock.advance(31)
    assert await claims.claim(["codex"], "b", 10_000, 10, 0) == []
    assert (await deliveries.get(lost["id"], ""))["status"] == "unknown"
