"""svckit.schedule, the one reading of an objective's expression that the store (validation,
next runs) and the scheduler (slots) share: cron and descriptors in a timezone (also named
by a `CRON_TZ=` prefix), `@every` with Go durations, and refusals naming their field."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from svckit import errors, schedule

NY = ZoneInfo("America/New_York")


def _ny(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=NY).timestamp())  # type: ignore[misc]


def test_cron_in_a_timezone_keeps_local_time_across_the_spring_change() -> None:
    daily = schedule.parse("0 9 * * *", "America/New_York")
    first = daily.next_after(_ny(2030, 3, 9, 12))
    assert daily.upcoming(first, 3) == [
        _ny(2030, 3, 10, 9),
        _ny(2030, 3, 11, 9),
        _ny(2030, 3, 12, 9),
    ]
    assert daily.before(_ny(2030, 3, 10, 9)) == _ny(2030, 3, 9, 9)
    assert daily.latest(_ny(2030, 3, 9, 9), _ny(2030, 3, 11, 8)) == _ny(2030, 3, 10, 9)


def test_descriptors_prefixes_and_intervals() -> None:
    assert schedule.parse("@daily", "").cron == "0 0 * * *"
    prefixed = schedule.parse("CRON_TZ=America/New_York   0 9 * * *", "UTC")
    assert (prefixed.tz, prefixed.cron) == (NY, "0 9 * * *")
    every = schedule.parse("@every 1h30m", "")
    assert (every.cron, every.every_s, every.next_after(100)) == (None, 5400, 5500)
    assert every.latest(100, 100 + 5400 * 2 + 7) == 100 + 5400 * 2
    assert schedule.parse("@every 200ms", "").every_s == 1  # at least a second, as robfig


@pytest.mark.parametrize(
    ("expr", "tz", "field"),
    [
        ("0 9 * *", "UTC", "cron_expr"),
        ("@every soon", "UTC", "cron_expr"),
        ("", "UTC", "cron_expr"),
        ("0 9 * * *", "Mars/Olympus", "timezone"),
    ],
)
def test_bad_expressions_name_their_field(expr: str, tz: str, field: str) -> None:
    with pytest.raises(errors.InvalidArgument) as refused:
        schedule.parse(expr, tz)
    assert refused.value.details.get("field") == field
