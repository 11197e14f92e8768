"""Objectives: validation (cron/`@every` + IANA timezone, one-shot `at`, events), next-run
planning, listings with upcoming fire times and health, audited changes."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from store_svc import audit
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit import schedule as schedules
from svckit.errors import AlreadyExists, InvalidArgument, NotFound

TRIGGERS = ("schedule", "at", "event")
OVERLAP = ("skip", "buffer-one", "allow")
POLICY_FIELDS = (
    "catchup_window_seconds",
    "max_consecutive_failures",
    "failure_backoff_seconds",
    "failure_backoff_max_seconds",
)
EDITABLE = (
    "title",
    "prompt",
    "trigger_type",
    "event_key",
    "cron_expr",
    "timezone",
    "run_at_unix",
    "overlap_policy",
    *POLICY_FIELDS,
)
UPCOMING = 5


def plan(obj: Row, now: int, replan: bool) -> Row:
    """Validate an objective's trigger fields in place and plan `next_run_unix`.

    `replan` recomputes the next run from now (new or changed schedule); otherwise a stored
    next run is kept and only a missing one is computed, for an active schedule."""
    for k in ("title", "prompt"):
        obj[k] = required(k, str(obj.get(k) or ""))
    trigger = str(obj.get("trigger_type") or "").strip().lower()
    if trigger not in TRIGGERS:
        raise InvalidArgument("trigger_type must be schedule, at or event", field="trigger_type")
    obj["trigger_type"] = trigger
    obj["timezone"] = str(schedules.zone(str(obj.get("timezone") or "")))
    overlap = str(obj.get("overlap_policy") or "").strip().lower() or "skip"
    if overlap not in OVERLAP:
        raise InvalidArgument(
            "overlap_policy must be skip, buffer-one or allow", field="overlap_policy"
        )
    obj["overlap_policy"] = overlap
    for k in POLICY_FIELDS:
        if int(obj.get(k) or 0) < 0:
            raise InvalidArgument(f"{k} must not be negative", field=k)
        obj[k] = int(obj.get(k) or 0)
    if trigger == "event":
        obj["event_key"] = required("event_key", str(obj.get("event_key") or "")).lower()
        obj.update(cron_expr=None, run_at_unix=None, next_run_unix=None)
    elif trigger == "at":
        run_at = int(obj.get("run_at_unix") or 0)
        if run_at <= 0:
            raise InvalidArgument("run_at_unix is required for at objectives", field="run_at_unix")
        obj.update(cron_expr=None, event_key=None, run_at_unix=run_at)
        if replan or not obj.get("next_run_unix"):
            obj["next_run_unix"] = run_at if obj.get("active", True) else None
    else:
        expr = schedules.normalize(str(obj.get("cron_expr") or ""))
        sched = schedules.parse(expr, obj["timezone"])
        obj.update(cron_expr=expr, event_key=None, run_at_unix=None)
        if (replan or not obj.get("next_run_unix")) and obj.get("active", True):
            obj["next_run_unix"] = sched.next_after(now)
    return obj


def view(row: Row, now: int) -> Row:
    """The stored row plus what listings show: recent errors, upcoming fire times, health,
    average duration."""
    out = dict(row)
    out["active"] = bool(row["active"])
    out["recent_errors"] = json.loads(row["recent_errors_json"] or "[]")
    runs = row["run_count"]
    out["avg_run_duration_ms"] = row["total_run_duration_ms"] // runs if runs else 0
    if not out["active"]:
        out["health_state"] = "auto_paused" if row["auto_paused_reason"] else "paused"
    else:
        out["health_state"] = "degraded" if row["consecutive_failures"] > 0 else "healthy"
    out["next_runs_unix"] = upcoming(row, now)
    return out


def upcoming(row: Row, now: int) -> list[int]:
    if not row["active"] or row["trigger_type"] == "event":
        return []
    nxt = row["next_run_unix"]
    if row["trigger_type"] == "at":
        return [nxt] if nxt else []
    try:
        sched = schedules.parse(row["cron_expr"] or "", row["timezone"])
    except InvalidArgument:  # stored before a stricter check: show nothing rather than fail
        return []
    return sched.upcoming(nxt or sched.next_after(now), UPCOMING)


def fetch(c: Conn, objective_id: str, lock: bool = False) -> Row:
    row = c.one(
        f"SELECT * FROM objectives WHERE id = :id {c.for_update if lock else ''}",
        {"id": objective_id},
    )
    if row is None:
        raise NotFound("objective not found", id=objective_id)
    return row


def _update(c: Conn, obj: Row) -> Row:
    sets = ", ".join(f"{k} = :{k}" for k in obj if k != "id")
    row = c.one(f"UPDATE objectives SET {sets} WHERE id = :id RETURNING *", obj)
    assert row is not None
    return row


class Objectives:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    def _now(self) -> int:
        return self._clock.now_ms() // 1000

    async def create(self, req: Mapping[str, Any], actor: str) -> Row:
        now = self._now()
        obj: Row = {k: req.get(k) for k in EDITABLE}
        obj.update(
            id=self._keys.new_id("obj_"),
            workspace_id=required("workspace_id", str(req.get("workspace_id", ""))),
            context_id=required("context_id", str(req.get("context_id", ""))),
            active=bool(req.get("active", True)),
            next_run_unix=int(req.get("next_run_unix") or 0) or None,
            created_at_unix=now,
            updated_at_unix=now,
            seq=self._keys.next_seq(),
            idempotency_key=str(req.get("idempotency_key") or "").strip() or None,
        )
        explicit = obj["next_run_unix"]
        plan(obj, now, replan=explicit is None)
        if obj["trigger_type"] == "at" and obj["run_at_unix"] <= now:
            raise InvalidArgument("run_at_unix must be in the future", field="run_at_unix")
        cols = ", ".join(obj)
        # A repeated create whose first is committed meanwhile (another replica, another
        # connection) inserts nothing instead of failing on the unique key; PostgreSQL
        # waits for the first to commit before it decides.
        sql = (
            f"INSERT INTO objectives ({cols}) VALUES ({', '.join(':' + k for k in obj)})"
            " ON CONFLICT DO NOTHING"
        )

        def run(c: Conn) -> Row:
            key = {"k": obj["idempotency_key"]}
            if obj["idempotency_key"] is not None:
                made = c.one("SELECT * FROM objectives WHERE idempotency_key = :k", key)
                if made is not None:  # a repeated create: the first one's objective
                    return made
            if c.run(sql, obj) == 0:
                made = c.one("SELECT * FROM objectives WHERE idempotency_key = :k", key)
                if made is None:
                    raise AlreadyExists("objective id already exists", existing_id=obj["id"])
                return made
            row = fetch(c, obj["id"])
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "objective.created",
                "objective",
                obj["id"],
                obj["workspace_id"],
                after=_public(row),
            )
            return row

        return view(await self._db.write(run), now)

    async def get(self, objective_id: str) -> Row:
        oid = required("id", objective_id)
        return view(await self._db.read(lambda c: fetch(c, oid)), self._now())

    async def list(
        self, workspace_id: str, active_only: bool, limit: int, event_key: str
    ) -> builtins.list[Row]:
        """The first page (see `page`)."""
        return (await self.page(workspace_id, active_only, limit, event_key, ""))[0]

    async def page(
        self, workspace_id: str, active_only: bool, limit: int, event_key: str, page_token: str
    ) -> tuple[builtins.list[Row], str]:
        """A page of a workspace's objectives in creation order, and the next page's token
        (keyset on (seq, id): stable under inserts)."""
        n = clamp(limit, 50, 500)
        params: dict[str, Any] = {"ws": required("workspace_id", workspace_id)}
        where = ["workspace_id = :ws"]
        if active_only:
            where.append("active = :t")
            params["t"] = True
        if event_key.strip():
            where.append("trigger_type = 'event' AND event_key = :ek")
            params["ek"] = event_key.strip().lower()
        now = self._now()
        select = "SELECT * FROM objectives"
        rows, token = await key_page(self._db, select, where, params, page_token, n)
        return [view(r, now) for r in rows], token

    async def list_due(self, now_unix: int, limit: int) -> builtins.list[Row]:
        now = now_unix if now_unix > 0 else self._now()
        params = {"now": now, "n": clamp(limit, 20, 2000), "t": True}
        rows = await self._db.read(
            lambda c: c.all(
                "SELECT * FROM objectives WHERE active = :t AND trigger_type IN ('schedule', 'at')"
                " AND next_run_unix IS NOT NULL AND next_run_unix <= :now"
                " ORDER BY next_run_unix, id LIMIT :n",
                params,
            )
        )
        return [view(r, now) for r in rows]

    async def update(self, objective_id: str, changes: Mapping[str, Any], actor: str) -> Row:
        """Apply the fields present in `changes` (None = absent) and re-validate."""
        oid, now = required("id", objective_id), self._now()
        given = {k: v for k, v in changes.items() if v is not None}

        def run(c: Conn) -> Row:
            before = fetch(c, oid, lock=True)
            obj = {k: before[k] for k in (*EDITABLE, "active", "next_run_unix")}
            obj.update({k: v for k, v in given.items() if k in EDITABLE})
            obj["active"] = bool(given.get("active", before["active"]))
            reason = before["auto_paused_reason"]
            if "auto_paused_reason" in given:
                reason = str(given["auto_paused_reason"]).strip() or None
            if given.get("active") is True:
                reason = None  # resuming clears an auto-pause
            replan = any(
                k in given and given[k] != before[k]
                for k in ("trigger_type", "cron_expr", "timezone", "run_at_unix")
            )
            if "next_run_unix" in given:
                obj["next_run_unix"] = int(given["next_run_unix"]) or None
                replan = False
            plan(obj, now, replan)
            obj.update(id=oid, auto_paused_reason=reason, updated_at_unix=now)
            row = _update(c, obj)
            action = "objective.updated"
            if bool(before["active"]) != bool(row["active"]):
                action = "objective.resumed" if row["active"] else "objective.paused"
            old, new = _public(before), _public(row)
            changed = [k for k in new if old.get(k) != new[k]]
            if not changed:  # nothing changed: nothing to audit
                return row
            audit.append(
                c,
                self._keys,
                now,
                actor,
                action,
                "objective",
                oid,
                row["workspace_id"],
                before={k: old[k] for k in changed},
                after={k: new[k] for k in changed},
            )
            return row

        return view(await self._db.write(run), now)

    async def delete(self, objective_id: str, actor: str) -> str:
        oid, now = required("id", objective_id), self._now()

        def run(c: Conn) -> None:
            before = c.one("DELETE FROM objectives WHERE id = :id RETURNING *", {"id": oid})
            if before is None:
                raise NotFound("objective not found", id=oid)
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "objective.deleted",
                "objective",
                oid,
                before["workspace_id"],
                before=_public(before),
            )

        await self._db.write(run)
        return oid


def _public(row: Row) -> Row:
    """What the audit log keeps of an objective: its settings and state, not its counters."""
    keep = (*EDITABLE, "active", "next_run_unix", "auto_paused_reason")
    return {k: (bool(row[k]) if k == "active" else row[k]) for k in keep}
