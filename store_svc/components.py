"""Heartbeat components as their processes report them (REFERENCE.md §10), kept in the store
so every gateway replica answers /api/v1/heartbeat the same. A report names how often its
process beats (`stale_after_ms`); the reader judges staleness against the store's clock, so
a component is stale only when a live one stops reporting, never because it is idle."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from svckit.errors import InvalidArgument

STATES = ("starting", "healthy", "degraded", "disabled", "stopped")
MAX_REPORT = 100


class Components:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def report(self, items: Sequence[Mapping[str, Any]]) -> int:
        if len(items) > MAX_REPORT:
            raise InvalidArgument(f"at most {MAX_REPORT} components per report", field="components")
        now = self._clock.now_ms()
        rows = []
        for item in items:
            state = str(item.get("state") or "")
            if state not in STATES:
                raise InvalidArgument(
                    "state must be starting, healthy, degraded, disabled or stopped",
                    field="state",
                )
            if int(item.get("stale_after_ms") or 0) < 0:
                raise InvalidArgument("stale_after_ms must not be negative", field="stale_after_ms")
            rows.append(
                {
                    "name": required("name", str(item.get("name") or "")).strip().lower(),
                    "state": state,
                    "message": item.get("message") or None,
                    "error": item.get("error") or None,
                    # a healthy report is a beat; others keep the last one
                    "beat": now if state == "healthy" else 0,
                    "now": now,
                    "reporter": item.get("reporter") or None,
                    "stale": int(item.get("stale_after_ms") or 0),
                    "extra": json.dumps(dict(item.get("extra") or {}), sort_keys=True),
                }
            )

        def run(c: Conn) -> int:
            for r in rows:
                c.run(
                    "INSERT INTO heartbeat_components (name, state, message, error,"
                    " last_beat_at_ms, updated_at_ms, reporter, stale_after_ms, extra_json)"
                    " VALUES (:name, :state, :message, :error, :beat, :now, :reporter, :stale,"
                    " :extra) ON CONFLICT (name) DO UPDATE SET state = :state,"
                    " message = :message, error = :error, last_beat_at_ms = CASE WHEN :beat > 0"
                    " THEN :beat ELSE heartbeat_components.last_beat_at_ms END,"
                    " updated_at_ms = :now, reporter = :reporter, stale_after_ms = :stale,"
                    " extra_json = :extra",
                    r,
                )
            return len(rows)

        return await self._db.write(run)

    async def list(self, prefix: str) -> tuple[list[Row], int]:
        """Every component whose name starts with `prefix`, by name; and the store's now."""
        rows = await self._db.read(
            lambda c: c.all("SELECT * FROM heartbeat_components ORDER BY name")
        )
        wanted = prefix.strip().lower()
        out = [
            {**r, "extra": json.loads(r["extra_json"] or "{}")}
            for r in rows
            if r["name"].startswith(wanted)
        ]
        return out, self._clock.now_ms()
