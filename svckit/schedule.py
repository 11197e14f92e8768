"""Recurring fire times, as the original's robfig/cron read them: a 5-field cron expression or
a descriptor (`@daily`, `@hourly` …) in an IANA timezone (with an optional `CRON_TZ=` /
`TZ=` prefix), or a fixed interval `@every <Go duration>`. The store validates and plans
objectives with it, the scheduler fires their slots with it: one reading of an expression
for both. Next and previous times come from croniter, correct across DST changes. Pure
functions; malformed input is `svckit.errors.InvalidArgument` naming its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from svckit.errors import InvalidArgument

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name` ("" is UTC); INVALID_ARGUMENT naming `timezone` otherwise."""
    text = name.strip() or "UTC"
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"invalid timezone: {text}", field="timezone") from None


def parse_duration(text: str) -> float:
    """A Go duration (`90s`, `1h30m`, `1.5h`) in seconds; ValueError when malformed."""
    pos, total = 0, 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None:
            raise ValueError(text)
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError(text)
    return total


def normalize(expr: str) -> str:
    """Whitespace-normalised expression."""
    return " ".join(expr.split())


@dataclass(frozen=True)
class Schedule:
    """A cron expression, or a fixed interval (`@every`: `cron` is None), in a timezone."""

    cron: str | None
    every_s: int
    tz: ZoneInfo

    def next_after(self, unix: int) -> int:
        """The first fire time strictly after `unix` (seconds)."""
        if self.cron is None:
            return unix + self.every_s
        start = datetime.fromtimestamp(unix, self.tz)
        return int(croniter(self.cron, start).get_next(datetime).timestamp())

    def before(self, unix: int) -> int:
        """The last fire time strictly before `unix` (for `@every`: one interval back)."""
        if self.cron is None:
            return unix - self.every_s
        start = datetime.fromtimestamp(unix, self.tz)
        return int(croniter(self.cron, start).get_prev(datetime).timestamp())

    def latest(self, first: int, now: int) -> int:
        """The last fire time at or before `now`, counting from the fire time `first`
        (<= now; an `@every` grid starts there)."""
        if self.cron is None:
            return first + (now - first) // self.every_s * self.every_s
        return max(self.before(now + 1), first)

    def upcoming(self, first: int, count: int) -> list[int]:
        """`first` and the fire times after it, `count` in all."""
        out = [first]
        while len(out) < count:
            out.append(self.next_after(out[-1]))
        return out


def parse(expr: str, timezone: str) -> Schedule:
    """The schedule of `expr` in `timezone`; INVALID_ARGUMENT naming the field otherwise."""
    text = normalize(expr)
    tz_name = timezone
    if text.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, text = text.partition(" ")
        tz_name = prefix.partition("=")[2]
    tz = zone(tz_name)
    if not text:
        raise InvalidArgument("cron_expr is required for schedule objectives", field="cron_expr")
    if text.startswith("@every"):
        arg = text.removeprefix("@every").strip()
        try:
            seconds = parse_duration(arg)
        except ValueError:
            raise InvalidArgument(
                f"parse cron expression: bad @every duration {arg!r}", field="cron_expr"
            ) from None
        # robfig/cron: at least one second, sub-second parts dropped
        return Schedule(None, max(int(seconds), 1), tz)
    cron = DESCRIPTORS.get(text.lower(), text)
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise InvalidArgument(
            f"parse cron expression: {text!r} is not a 5-field cron or a descriptor",
            field="cron_expr",
        )
    return Schedule(cron, 0, tz)
