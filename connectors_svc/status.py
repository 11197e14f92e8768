"""What each connector is doing, as GetConnectorStatus and the heartbeat report it: its state
in the heartbeat vocabulary (starting, healthy, degraded, disabled, stopped), the detail, the
last error, the last beat, whether this replica holds its leader lease, and when it last
received and sent a message."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from connectors_svc.adapters.base import AdapterState
from connectors_svc.deps import ComponentReport

STANDBY = "standby: another replica holds the lease"


@dataclass(frozen=True)
class ConnectorView:
    name: str
    enabled: bool
    state: str
    message: str = ""
    error: str = ""
    last_beat_at_unix: int = 0
    leader: bool = False
    receives: bool = False
    bot_username: str = ""
    last_inbound_at_unix: int = 0
    last_outbound_at_unix: int = 0
    restarts: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)
    beat_within_s: float = 0.0  # the adapter's promise (adapters/base.py); 0: none


class Board:
    """The connectors' views, updated by the supervisors, sinks and couriers."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._views: dict[str, ConnectorView] = {}

    def add(self, name: str, receives: bool, beat_within_s: float = 0.0) -> None:
        self._views[name] = ConnectorView(
            name, True, "starting", "starting", receives=receives, beat_within_s=beat_within_s
        )

    def disable(self, name: str, reason: str) -> None:
        self._views[name] = ConnectorView(name, False, "disabled", reason)

    def _now(self) -> int:
        return int(self._clock())

    def _set(self, name: str, **changes: object) -> None:
        view = self._views.get(name)
        if view is not None:
            self._views[name] = replace(view, **changes)  # type: ignore[arg-type]

    def state(self, name: str, state: str, message: str, error: str | None = None) -> None:
        changes: dict[str, object] = {"state": state, "message": message}
        if error is not None:
            changes["error"] = error
        if state == "healthy":
            changes["last_beat_at_unix"] = self._now()
        self._set(name, **changes)

    def beat(self, name: str, s: AdapterState) -> None:
        state = "healthy" if s.connected else "degraded"
        changes: dict[str, object] = {"state": state, "message": s.detail or state}
        if s.connected:
            changes.update(last_beat_at_unix=self._now(), error="")
        if s.bot_username:
            changes["bot_username"] = s.bot_username
        if s.extra:
            changes["extra"] = dict(s.extra)
        self._set(name, **changes)

    def leader(self, name: str, leading: bool) -> None:
        self._set(name, leader=leading)

    def crashed(self, name: str, error: str, restarts: int, message: str) -> None:
        self._set(name, state="degraded", error=error, restarts=restarts, message=message)

    def inbound(self, name: str) -> None:
        self._set(name, last_inbound_at_unix=self._now())

    def outbound(self, name: str) -> None:
        """A message sent: a beat too (the platform took it)."""
        now = self._now()
        self._set(name, last_outbound_at_unix=now, last_beat_at_unix=now)

    def views(self, name: str = "") -> list[ConnectorView]:
        return [self._checked(v) for n, v in sorted(self._views.items()) if not name or n == name]

    def _checked(self, v: ConnectorView) -> ConnectorView:
        """`v`, or `degraded` when it reads healthy but has not beaten for longer than its
        adapter promised: a hung session (the process still reports, so the store alone
        would keep it fresh)."""
        if v.state != "healthy" or not v.beat_within_s or not v.last_beat_at_unix:
            return v
        silent = self._now() - v.last_beat_at_unix
        if silent <= v.beat_within_s:
            return v
        promise = f"expected within {v.beat_within_s:g}s"
        return replace(v, state="degraded", message=f"no beat for {silent}s ({promise})")

    def components(self, stale_after_ms: int) -> Sequence[ComponentReport]:
        """The heartbeat components `connector:<name>`. A standby replica of a receiving
        adapter reports nothing: the leader's report is the truth, and a leader that stops
        reporting turns stale until a standby takes over."""
        out = []
        for v in self.views():
            if v.receives and not v.leader and v.message == STANDBY:
                continue
            extra = {
                "leader": str(v.leader).lower(),
                "last_inbound_at_unix": str(v.last_inbound_at_unix),
                "last_outbound_at_unix": str(v.last_outbound_at_unix),
                "restarts": str(v.restarts),
                **({"bot_username": v.bot_username} if v.bot_username else {}),
            }
            stale = 0 if v.state in ("disabled", "stopped") else stale_after_ms
            out.append(
                ComponentReport(f"connector:{v.name}", v.state, v.message, v.error, stale, extra)
            )
        return out
