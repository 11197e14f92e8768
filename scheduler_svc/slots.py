"""Which fire times ("slots") of a due objective run, which are missed, and when it is due
next. The store validated the expression; this reads it as the store did
(`svckit.schedule`: 5-field cron, a descriptor such as `@daily`, or `@every <duration>`, in
an IANA timezone). Pure functions; no grpc, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent_runtime.store.v1 import objective_pb2 as stored
from svckit import schedule

# A slot this late (seconds) is still "on time": the loop ticks about once a second, and a
# busy store or a restart should not turn every firing into a catch-up.
ON_TIME_GRACE = 60
# At most this many older slots are recorded as missed for one firing, never a burst.
MAX_MISSED = 100


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
        cad = schedule.parse(obj.cron_expr, obj.timezone)
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
