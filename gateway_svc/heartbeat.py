"""The heartbeat snapshot (REFERENCE.md §10) built from live Health checks of the backends.

A backend answering SERVING is `healthy` and beats now; anything else, including no answer,
is `degraded` with the reason. Nothing is cached except the last time each backend was seen
serving, so an idle healthy system never turns stale."""

from __future__ import annotations

from dataclasses import dataclass

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


def component(probe: Probe, now: int, last_beat: int | None) -> Component:
    """The heartbeat component for a probe taken at `now`."""
    if probe.status == "SERVING":
        return Component(probe.name, HEALTHY, "serving", "", now, now)
    if probe.error:
        return Component(probe.name, DEGRADED, "health check failed", probe.error, last_beat, now)
    status = probe.status.lower() or "unknown"
    return Component(probe.name, DEGRADED, f"health status {status}", "", last_beat, now)


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
