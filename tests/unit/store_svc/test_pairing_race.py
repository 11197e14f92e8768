"""Pairing starts race on both backends: many starts of one connector account at once pass
the rate limit no more often than one after another would (PostgreSQL's read committed let
each count the others' uncommitted rows as absent), and the pending cap holds too."""

from __future__ import annotations

import asyncio

from store_svc.db import Database
from store_svc.keys import Keys
from store_svc.pairing import Limits, Pairings
from svckit.errors import ResourceExhausted
from tests.fakes import FrozenClock

ATTEMPTS = 24


async def test_concurrent_starts_never_exceed_the_limit(db: Database) -> None:
    clock = FrozenClock(1_700_000_000)
    pairings = Pairings(db, clock, Keys(clock), Limits(max_pending=3, starts=5))

    async def start(user: str) -> bool:
        try:
            await pairings.create("telegram", user, "Ann", 0)
        except ResourceExhausted:
            return False
        return True

    outcomes = await asyncio.gather(*(start("ann") for _ in range(ATTEMPTS)))
    assert sum(outcomes) == 5  # exactly the limit, the rest refused with the reason
    others = await asyncio.gather(*(start(f"user{i}") for i in range(8)))
    assert all(others)  # the lock is per account: nobody else is held up
    rows, _ = await pairings.list("", 500, "")
    ann = [r for r in rows if r["connector_user_id"] == "ann"]
    assert len(ann) == 5
    assert sum(r["status"] == "pending" for r in ann) == 3
