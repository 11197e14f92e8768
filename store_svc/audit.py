"""The audit log of admin decisions and state changes, and agent audit events."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from store_svc.common import (
    Clock,
    clamp,
    key_page,
    or_none,
    required,
)
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys


def append(
    conn: Conn,
    keys: Keys,
    now_unix: int,
    actor: str,
    action: str,
    kind: str,
    subject_id: str,
    workspace_id: str | None = None,
    before: Any = None,
    after: Any = None,
) -> Row:
    """Write one audit entry inside the caller's transaction."""
    row: Row = {
        "id": keys.new_id("evt_"),
        "actor": actor or "unknown",
        "action": action,
        "subject_kind": kind,
        "subject_id": subject_id,
        "workspace_id": workspace_id,
        "before_json": _json(before),
        "after_json": _json(after),
        "created_at_unix": now_unix,
        "seq": keys.next_seq(),
    }
    conn.run(
        "INSERT INTO audit_log (id, actor, action, subject_kind, subject_id, workspace_id,"
        " before_json, after_json, created_at_unix, seq) VALUES (:id, :actor, :action,"
        " :subject_kind, :subject_id, :workspace_id, :before_json, :after_json,"
        " :created_at_unix, :seq)",
        row,
    )
    return row


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


class Audit:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def append(self, req: Mapping[str, str]) -> Row:
        fields = {k: required(k, req[k]) for k in ("actor", "action", "subject_kind", "subject_id")}
        now = self._clock.now_ms() // 1000
        return await self._db.write(
            lambda c: append(
                c,
                self._keys,
                now,
                fields["actor"],
                fields["action"],
                fields["subject_kind"],
                fields["subject_id"],
                or_none(req.get("workspace_id", "")),
                or_none(req.get("before_json", "")),
                or_none(req.get("after_json", "")),
            )
        )

    async def list(
        self, filters: Mapping[str, str], page_size: int, page_token: str
    ) -> tuple[builtins.list[Row], str]:
        limit = clamp(page_size, 100, 1000)
        names = ("workspace_id", "subject_kind", "subject_id", "actor")
        params = {n: filters[n] for n in names if filters.get(n)}
        where = [f"{n} = :{n}" for n in params]
        select = "SELECT * FROM audit_log"
        return await key_page(self._db, select, where, params, page_token, limit, descending=True)

    async def create_agent_event(self, req: Mapping[str, Any]) -> Row:
        row: Row = {
            k: required(k, req[k])
            for k in (
                "workspace_id",
                "context_id",
                "connector",
                "external_id",
                "event_type",
                "stage",
            )
        }
        row["connector"] = row["connector"].lower()
        for k in ("source_user_id", "tool_name", "tool_class", "block_reason", "message"):
            row[k] = or_none(req.get(k, ""))
        row.update(
            id=self._keys.new_id("audit_"),
            blocked=bool(req.get("blocked")),
            created_at_unix=self._clock.now_ms() // 1000,
            seq=self._keys.next_seq(),
        )
        cols = ", ".join(row)
        vals = ", ".join(f":{k}" for k in row)
        await self._db.write(
            lambda c: c.run(f"INSERT INTO agent_audit_events ({cols}) VALUES ({vals})", row)
        )
        return row

    async def list_agent_events(self, filters: Mapping[str, Any], limit: int) -> builtins.list[Row]:
        f = dict(filters)
        for k in ("connector", "event_type"):
            f[k] = str(f.get(k, "")).lower()
        where, params = _filters(
            f, ("workspace_id", "context_id", "connector", "external_id", "event_type")
        )
        if f.get("blocked_only"):
            where += (" AND" if where else "WHERE") + " blocked = :blocked"
            params["blocked"] = True
        params["limit"] = clamp(limit, 100, 1000)
        sql = f"SELECT * FROM agent_audit_events {where} ORDER BY seq DESC, id DESC LIMIT :limit"
        return await self._db.read(lambda c: c.all(sql, params))


def _filters(values: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """`WHERE a = :a AND …` for every non-empty filter."""
    params = {n: values[n] for n in names if values.get(n)}
    where = " AND ".join(f"{n} = :{n}" for n in params)
    return (f"WHERE {where}" if where else ""), params
