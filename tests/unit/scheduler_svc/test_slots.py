"""The catch-up plan of a due objective, and leadership against the real store's leases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc import slots
from scheduler_svc.clients import StoreLease
from scheduler_svc.leader import Leadership
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store
from tests.unit.scheduler_svc.conftest import MovableClock

BERLIN = ZoneInfo("Europe/Berlin")


def _at(*args: int) -> int:
    return int(datetime(*args, tzinfo=BERLIN).timestamp())  # type: ignore[misc]


def _cron(first: int, expr: str = "0 7 * * *") -> stored.Objective:
    return stored.Objective(
        trigger_type="schedule", cron_expr=expr, timezone="Europe/Berlin", next_run_unix=first
    )


def test_an_on_time_cron_slot_fires_and_the_next_one_is_planned() -> None:
    plan = slots.plan(_cron(_at(2030, 3, 1, 7, 0)), _at(2030, 3, 1, 7, 0, 2), window=3600)
    assert (plan.fire, plan.trigger, plan.missed) == (_at(2030, 3, 1, 7, 0), "schedule", [])
    assert plan.next_run == _at(2030, 3, 2, 7, 0)


def test_days_of_downtime_catch_up_the_last_slot_in_its_timezone() -> None:
    # over the switch to summer time (2030-03-31): 07:00 stays 07:00 Berlin time
    now = _at(2030, 4, 2, 7, 30)
    plan = slots.plan(_cron(_at(2030, 3, 29, 7, 0)), now, window=3600)
    assert (plan.fire, plan.trigger) == (_at(2030, 4, 2, 7, 0), "catch_up")
    assert plan.missed == [_at(2030, 3, d, 7, 0) for d in (29, 30, 31)] + [_at(2030, 4, 1, 7, 0)]
    assert plan.next_run == _at(2030, 4, 3, 7, 0)


def test_without_a_window_a_late_slot_is_missed_too() -> None:
    now = _at(2030, 3, 1, 9, 0)
    plan = slots.plan(_cron(_at(2030, 3, 1, 7, 0)), now, window=0)
    assert (plan.fire, plan.missed, plan.next_run) == (
        None,
        [_at(2030, 3, 1, 7, 0)],
        _at(2030, 3, 2, 7, 0),
    )


def test_missed_slots_are_capped() -> None:
    first = 1_000_000
    plan = slots.plan(_cron(first, "@every 1m"), first + 60 * 10_000 + 5, window=3600)
    assert plan.fire == first + 60 * 10_000
    assert len(plan.missed) == slots.MAX_MISSED and plan.missed[-1] == first + 60 * 9_999
    assert plan.unlisted_since == first  # the oldest record says so


async def test_losing_the_lease_ends_leading_at_once(pki: PkiPaths, tmp_path: Path) -> None:
    clock, mono = MovableClock(), [0.0]
    async with serving_store(pki, tmp_path, clock) as ports:
        async with testing.client_channel(pki, ports.grpc, "svc:scheduler") as channel:
            leases = StoreLease(channel)
            a = Leadership(leases, 15.0, "a", monotonic=lambda: mono[0])
            b = Leadership(leases, 15.0, "b", monotonic=lambda: mono[0])
            assert await a.keep() and not await b.keep()
            clock.advance(20)  # a could not renew in time (a stalled process, a partition)
            assert await b.keep()
            mono[0] += 5.1  # a's time to renew: refused, and it stops leading
            assert not await a.keep() and not a.leading
            await b.release()
            mono[0] += 2.1
            assert await a.keep()
