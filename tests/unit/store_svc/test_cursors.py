"""Stream cursors on both backends: absent until put, the last put wins, bad input changes
nothing; a put fenced by a leader lease the writer lost or that was superseded is refused,
and a sequenced cursor never moves backwards."""

from __future__ import annotations

import pytest

from store_svc.cursors import MAX_VALUE, Cursors, Fence
from store_svc.db import Database
from store_svc.leases import Leases
from svckit.errors import FailedPrecondition, InvalidArgument
from tests.fakes import FrozenClock


async def test_a_cursor_is_absent_until_put_and_keeps_the_last_value(db: Database) -> None:
    clock = FrozenClock(7)
    cursors = Cursors(db, clock)
    assert await cursors.get("telegram:1:offset") is None
    assert await cursors.put("telegram:1:offset", "101") == 7_000
    clock.ms += 5
    await cursors.put("telegram:1:offset", "205")
    row = await cursors.get("telegram:1:offset")
    assert row is not None and row["value"] == "205" and row["updated_at_ms"] == 7_005
    assert await cursors.get("telegram:2:offset") is None


async def test_bad_input_is_refused_and_changes_nothing(db: Database) -> None:
    cursors = Cursors(db, FrozenClock(1))
    await cursors.put("c", "1")
    with pytest.raises(InvalidArgument) as too_long:
        await cursors.put("c", "9" * (MAX_VALUE + 1))
    assert too_long.value.field == "value"
    with pytest.raises(InvalidArgument) as no_name:
        await cursors.put("  ", "2")
    assert no_name.value.field == "name"
    row = await cursors.get("c")
    assert row is not None and row["value"] == "1"


async def test_a_superseded_leaders_late_put_is_refused_and_the_new_leaders_cursor_stands(
    db: Database,
) -> None:
    clock = FrozenClock(100)
    leases, cursors = Leases(db, clock), Cursors(db, clock)
    name, lease = "telegram:1:offset", "connector:telegram"
    old = Fence(lease, "replica-a", int((await leases.acquire(lease, "replica-a", 1000))["token"]))
    await cursors.put(name, "10", old, sequence=10)
    clock.ms += 1001  # replica-a stalls past its lease; replica-b takes over
    new = Fence(lease, "replica-b", int((await leases.acquire(lease, "replica-b", 1000))["token"]))
    assert new.token == old.token + 1
    await cursors.put(name, "12", new, sequence=12)
    for late in ("11", "13"):  # behind or ahead of the new leader, it is refused all the same
        with pytest.raises(FailedPrecondition) as refused:
            await cursors.put(name, late, old, sequence=int(late))
        assert "connector:telegram of replica-a (token 1) is now held by replica-b" in str(
            refused.value
        )
    row = await cursors.get(name)
    assert row is not None and (row["value"], row["sequence"]) == ("12", 12)


async def test_an_expired_or_never_taken_lease_fences_nothing_in(db: Database) -> None:
    clock = FrozenClock(100)
    leases, cursors = Leases(db, clock), Cursors(db, clock)
    token = int((await leases.acquire("connector:t", "a", 1000))["token"])
    await cursors.put("c", "1", Fence("connector:t", "a", token), sequence=1)
    clock.ms += 1001  # nobody took it over, but it ran out: the holder no longer leads
    with pytest.raises(FailedPrecondition, match="has expired"):
        await cursors.put("c", "2", Fence("connector:t", "a", token), sequence=2)
    with pytest.raises(FailedPrecondition, match="was never taken"):
        await cursors.put("c", "2", Fence("connector:other", "a", 1), sequence=2)
    with pytest.raises(InvalidArgument) as bad:
        await cursors.put("c", "2", Fence("connector:t", "a", 0))
    assert bad.value.field == "fence.token"
    row = await cursors.get("c")
    assert row is not None and row["value"] == "1"


async def test_a_sequenced_cursor_never_moves_backwards(db: Database) -> None:
    clock = FrozenClock(1)
    leases, cursors = Leases(db, clock), Cursors(db, clock)
    fence = Fence(
        "connector:t", "a", int((await leases.acquire("connector:t", "a", 60_000))["token"])
    )
    await cursors.put("c", "20", fence, sequence=20)
    await cursors.put("c", '{"offset":20,"pending":[]}', fence, sequence=20)  # same position
    with pytest.raises(
        FailedPrecondition, match="would move backwards: stored sequence 20, put 19"
    ):
        await cursors.put("c", "19", fence, sequence=19)
    row = await cursors.get("c")
    assert row is not None and row["value"] == '{"offset":20,"pending":[]}'
    assert row["sequence"] == 20
