"""The heartbeat snapshot (REFERENCE.md §10) built from live Health checks of the backends,
next to the components processes report to the store (`connector:telegram`, …).

A backend answering SERVING is `healthy` and beats now; anything else, including no answer,
is `degraded` with the reason. Nothing is cached except the last time each backend was seen
serving, so an idle healthy system never turns stale. A stored component turns `stale` only
when its process stops reporting it for longer than the period it promised (its
`stale_after_ms`): a live but idle component keeps being reported, so it never does."""

from __future__ import annotations

from dataclasses import dataclass, replace

HEALTHY = "healthy"
DEGRADED = "degraded"


@dataclass(frozen=True)
class Probe:
    """The outcome of one Health check: a status name, or the error that prevented it."""

    name: str
    status: str = ""
    error: str = ""


@dataclass(frozen=True)
class Component:
    """One heartbeat component, in the original's vocabulary."""

    name: str
    state: str
    message: str
    error: str
    last_beat_at_unix: int | None
    updated_at_unix: int
    base_state: str = ""
    stale: bool = False


@dataclass(frozen=True)
class Stored:
    """A component as a process last reported it to the store (times in unix ms)."""

    name: str
    state: str
    message: str
    error: str
    last_beat_at_ms: int
    updated_at_ms: int
    stale_after_ms: int


def stored_component(s: Stored, now_ms: int) -> Component:
    """The heartbeat component for a stored report read at the store's `now_ms`."""
    stale = (
        s.state in (HEALTHY, "starting")
        and s.stale_after_ms > 0
        and now_ms - s.updated_at_ms > s.stale_after_ms
    )
    beat = s.last_beat_at_ms // 1000 if s.last_beat_at_ms else None
    return Component(
        s.name,
        "stale" if stale else s.state,
        s.message,
        s.error,
        beat,
        s.updated_at_ms // 1000,
        base_state=s.state,
        stale=stale,
    )


def component(probe: Probe, now: int, last_beat: int | None) -> Component:
    """The heartbeat component for a probe taken at `now`."""
    if probe.status == "SERVING":
        return Component(probe.name, HEALTHY, "serving", "", now, now)
    if probe.error:
        return Component(probe.name, DEGRADED, "health check failed", probe.error, last_beat, now)
    status = probe.status.lower() or "unknown"
    return Component(probe.name, DEGRADED, f"health status {status}", "", last_beat, now)


_RANK = {DEGRADED: 0, "stale": 0, "starting": 1, HEALTHY: 2}


def merged(components: list[Component]) -> list[Component]:
    """One component per name, sorted. A name can come twice: a backend's live probe and
    what that backend reports itself (the scheduler's leader reports `scheduler`, as the
    original did); the worse state speaks for both, with the latest beat of the two."""
    by_name: dict[str, Component] = {}
    for c in components:
        seen = by_name.get(c.name)
        if seen is None:
            by_name[c.name] = c
            continue
        worse, other = (c, seen) if _RANK.get(c.state, 3) < _RANK.get(seen.state, 3) else (seen, c)
        beats = [b for b in (worse.last_beat_at_unix, other.last_beat_at_unix) if b is not None]
        by_name[c.name] = replace(worse, last_beat_at_unix=max(beats) if beats else None)
    return [by_name[name] for name in sorted(by_name)]


def overall(states: list[str]) -> str:
    """The original's rule: degraded beats starting beats healthy; all idle is idle."""
    if not states:
        return "unknown"
    if any(s in (DEGRADED, "stale") for s in states):
        return DEGRADED
    if "starting" in states:
        return "starting"
    if HEALTHY in states:
        return HEALTHY
    return "idle"
