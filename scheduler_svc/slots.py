"""Which fire times ("slots") of a due objective run, which are missed, and when it is due
next. The store validated the expression; this only reads it (5-field cron, a descriptor such
as `@daily`, or `@every <duration>`, in an IANA timezone, with an optional `CRON_TZ=`/`TZ=`
prefix). Pure functions; no grpc, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from agent_runtime.store.v1 import objective_pb2 as stored

# A slot this late (seconds) is still "on time": the loop ticks about once a second, and a
# busy store or a restart should not turn every firing into a catch-up.
ON_TIME_GRACE = 60
# At most this many older slots are recorded as missed for one firing, never a burst.
MAX_MISSED = 100

_DESCRIPTORS = {
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


@dataclass(frozen=True)
class Cadence:
    """A cron expression, or a fixed interval (`@every`), in a timezone."""

    cron: str | None
    every_s: int
    tz: ZoneInfo

    def next_after(self, unix: int) -> int:
        """The first slot strictly after `unix`."""
        if self.cron is None:
            return unix + self.every_s
        start = datetime.fromtimestamp(unix, self.tz)
        return int(croniter(self.cron, start).get_next(datetime).timestamp())

    def before(self, unix: int) -> int:
        """The last slot strictly before `unix` (for `@every`: one interval back)."""
        if self.cron is None:
            return unix - self.every_s
        start = datetime.fromtimestamp(unix, self.tz)
        return int(croniter(self.cron, start).get_prev(datetime).timestamp())

    def latest(self, first: int, now: int) -> int:
        """The last slot at or before `now`, counting from the slot `first` (<= now)."""
        if self.cron is None:
            return first + (now - first) // self.every_s * self.every_s
        return max(self.before(now + 1), first)


def _duration(text: str) -> int:
    parts, pos, total = text.strip(), 0, 0.0
    while pos < len(parts):
        m = _PART.match(parts, pos)
        if m is None:
            raise ValueError(f"bad @every duration {text!r}")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return max(int(total), 1)


def cadence(expr: str, timezone: str) -> Cadence:
    """The cadence of a stored schedule; ValueError for an expression the store would refuse."""
    text = " ".join(expr.split())
    tz_name = timezone
    if text.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, text = text.partition(" ")
        tz_name = prefix.partition("=")[2]
    tz = ZoneInfo(tz_name.strip() or "UTC")
    if text.startswith("@every"):
        return Cadence(None, _duration(text.removeprefix("@every")), tz)
    cron = _DESCRIPTORS.get(text.lower(), text)
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ValueError(f"not a 5-field cron expression: {text!r}")
    return Cadence(cron, 0, tz)


@dataclass(frozen=True)
class Plan:
    """What to do with a due objective now."""

    fire: int | None  # the slot that runs now, if any
    trigger: str  # schedule, at or catch_up
    next_run: int  # the next slot after now; 0 when none (a fired `at`)
    missed: list[int] = field(default_factory=list)  # older slots, oldest first
    # When more than MAX_MISSED slots were missed: the first of them (the oldest record
    # says that the slots from here to it are not listed one by one); 0 otherwise.
    unlisted_since: int = 0


def plan(obj: stored.Objective, now: int, window: int) -> Plan:
    """The catch-up rule (SPEC.md): of the slots due since `next_run_unix`, the most recent
    runs once when it is within `window` seconds of now (or on time); the older ones, and
    the most recent too when it is older than the window, are missed (the newest
    MAX_MISSED of them)."""
    first = obj.next_run_unix
    on_time = "at" if obj.trigger_type == "at" else "schedule"
    older: list[int] = []
    if obj.trigger_type == "at":
        latest, nxt = first, 0
    else:
        cad = cadence(obj.cron_expr, obj.timezone)
        latest = cad.latest(first, now)
        slot = cad.before(latest) if latest > first else first
        while first <= slot < latest and len(older) < MAX_MISSED:
            older.append(slot)
            slot = cad.before(slot)
        if first < latest and first not in older and len(older) < MAX_MISSED:
            older.append(first)  # an explicit first run off the cron grid
        nxt = cad.next_after(latest)
        while nxt <= now:
            nxt = cad.next_after(nxt)
    older.sort()
    late = now - latest
    if late <= ON_TIME_GRACE or late <= window:
        kept, fire = older, latest
    else:
        kept, fire = [*older, latest][-MAX_MISSED:], None
    since = first if kept and kept[0] > first else 0
    trigger = on_time if late <= ON_TIME_GRACE or fire is None else "catch_up"
    return Plan(fire, trigger, nxt, kept, since)
