"""Ids and creation-order keys belong to one store instance and follow its injected clock."""

from __future__ import annotations

from store_svc.keys import Keys
from tests.fakes import FrozenClock


def test_seq_follows_the_injected_clock_and_never_repeats() -> None:
    clock = FrozenClock(1_800_000_000)
    keys = Keys(clock)
    first, second = keys.next_seq(), keys.next_seq()
    assert first == 1_800_000_000_000_000 and second == first + 1  # a frozen clock still orders
    clock.ms -= 60_000  # the clock steps back: keys keep increasing
    assert keys.next_seq() == second + 1
    clock.ms += 3_600_000
    assert keys.next_seq() == clock.ms * 1000


def test_each_store_instance_has_its_own_keys() -> None:
    clock = FrozenClock(5)
    one, other = Keys(clock), Keys(clock)
    assert [one.next_seq(), one.next_seq()] == [5_000_000, 5_000_001]
    assert other.next_seq() == 5_000_000  # not advanced by the other store's rows
    ids = {one.new_id("t_") for _ in range(1000)} | {other.new_id("t_") for _ in range(1000)}
    assert len(ids) == 2000 and all(i.startswith("t_") for i in ids)
