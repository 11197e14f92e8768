"""Stream cursors on both backends: absent until put, the last put wins, bad input changes
nothing."""

from __future__ import annotations

import pytest

from store_svc.cursors import MAX_VALUE, Cursors
from store_svc.db import Database
from svckit.errors import InvalidArgument
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
