"""CreateApproval with an idempotency key creates one approval, whatever the repeats (a
reclaimed agent turn asks again with the same key), concurrent ones included; on both
backends."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.approvals import Approvals
from store_svc.db import Database
from store_svc.keys import Keys
from svckit.errors import InvalidArgument
from tests.fakes import FrozenClock

NOW = 1_800_000_000
TTL = 3600


CLOCK = FrozenClock(NOW)


def _req(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workspace_id": "ws",
        "context_id": "ctx",
        "connector": "telegram",
        "external_id": "chat-1",
        "requester_user_id": "u1",
        "action_type": "webhook",
        "action_target": "https://example.org/hook",
    }
    return {**base, **kw}


async def _rows(db: Database) -> list[dict[str, object]]:
    return await db.read(lambda c: c.all("SELECT id FROM action_approvals"))


async def _audits(db: Database) -> list[dict[str, object]]:
    sql = "SELECT id FROM audit_log WHERE action = 'approval.requested'"
    return await db.read(lambda c: c.all(sql))


async def test_a_repeated_key_answers_the_first_approval(db: Database) -> None:
    approvals = Approvals(db, CLOCK, Keys(CLOCK), TTL)
    first, created = await approvals.create_once(_req(idempotency_key="turn:t1:call_1"))
    again, created_again = await approvals.create_once(
        _req(idempotency_key="turn:t1:call_1", action_summary="asked again")
    )
    assert created and not created_again
    assert again["id"] == first["id"] and again["status"] == "pending"
    other, created_other = await approvals.create_once(_req(idempotency_key="turn:t1:call_2"))
    assert created_other and other["id"] != first["id"]
    # without a key every request is its own approval
    await approvals.create(_req())
    await approvals.create(_req())
    assert len(await _rows(db)) == 4
    assert len(await _audits(db)) == 4


async def test_concurrent_requests_with_one_key_create_one(db: Database) -> None:
    approvals = Approvals(db, CLOCK, Keys(CLOCK), TTL)
    made = await asyncio.gather(
        *(approvals.create_once(_req(idempotency_key="turn:t9:c")) for _ in range(8))
    )
    assert len({row["id"] for row, _ in made}) == 1
    assert sum(created for _, created in made) == 1
    assert len(await _rows(db)) == 1


async def test_a_key_too_long_is_refused_and_creates_nothing(db: Database) -> None:
    approvals = Approvals(db, CLOCK, Keys(CLOCK), TTL)
    with pytest.raises(InvalidArgument) as bad:
        await approvals.create_once(_req(idempotency_key="k" * 201))
    assert bad.value.field == "idempotency_key"
    assert await _rows(db) == []
