"""The outbound delivery ledger: one row per idempotency key, so a retry never sends twice.

A row goes `pending -> sending -> sent | failed | unknown` (store_svc.delivery_claims records
the progress of each part); writers (notices, the gateway, connectors' Publish) create it
pending, optionally already leased to the connectors replica that sends it at once (and then
optionally with its first part already `sending`, one write where two would do)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store_svc.common import Clock, clamp, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.wakeups import DELIVERIES, Wakeups
from svckit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound

STATUSES = ("sent", "failed", "unknown")
ALL_STATUSES = ("pending", "sending", *STATUSES)
DEFAULT_LEASE_MS = 30_000
_OPTIONAL = ("workspace_id", "context_id", "reply_to_message_id", "subject", "reply_route")
_INSERT = (
    "INSERT INTO deliveries (id, idempotency_key, connector, chat_id, text, status, attempts,"
    " created_at_unix, updated_at_unix, seq, workspace_id, context_id, reply_to_message_id,"
    " subject, reply_route, next_attempt_at_ms, lease_owner, lease_expires_at_ms) VALUES (:id,"
    " :idempotency_key, :connector, :chat_id, :text, :status, :attempts, :created_at_unix,"
    " :updated_at_unix, :seq, :workspace_id, :context_id, :reply_to_message_id, :subject,"
    " :reply_route, 0, :lease_owner, :lease_expires_at_ms) ON CONFLICT DO NOTHING"
)

_FIRST_PART = (
    "INSERT INTO delivery_parts (delivery_id, part_index, text, status, platform_message_id,"
    " last_error, updated_at_unix) VALUES (:delivery_id, :part_index, :text, :status,"
    " :platform_message_id, :last_error, :updated_at_unix)"
)


def with_parts(c: Conn, rows: list[Row]) -> list[Row]:
    """`rows` with each one's `parts` (by index) attached."""
    if not rows:
        return rows
    ids = {f"d{i}": r["id"] for i, r in enumerate(rows)}
    parts = c.all(
        "SELECT * FROM delivery_parts WHERE delivery_id IN"
        f" ({', '.join(':' + k for k in ids)}) ORDER BY delivery_id, part_index",
        ids,
    )
    by_id: dict[str, list[Row]] = {}
    for p in parts:
        by_id.setdefault(p["delivery_id"], []).append(p)
    return [{**r, "parts": by_id.get(r["id"], [])} for r in rows]


class Deliveries:
    def __init__(self, db: Database, clock: Clock, keys: Keys, wake: Wakeups | None = None) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._wake = wake or Wakeups()

    async def create(self, req: Mapping[str, Any]) -> Row:
        now_ms = self._clock.now_ms()
        owner = str(req.get("lease_owner") or "") or None
        lease_ms = int(req.get("lease_ms") or 0)
        if lease_ms < 0:
            raise InvalidArgument("lease_ms must not be negative", field="lease_ms")
        first = str(req.get("sending_text") or "")
        if first and owner is None:
            raise InvalidArgument("sending_text needs a lease_owner", field="sending_text")
        row: Row = {
            "id": self._keys.new_id("dlv_"),
            "idempotency_key": required("idempotency_key", req["idempotency_key"]),
            "connector": required("connector", req["connector"]).lower(),
            "chat_id": required("chat_id", req["chat_id"]),
            "text": req.get("text", ""),
            "status": "sending" if first else "pending",
            "attempts": 1 if first else 0,
            "created_at_unix": now_ms // 1000,
            "updated_at_unix": now_ms // 1000,
            "seq": self._keys.next_seq(),
            **{k: str(req.get(k) or "") or None for k in _OPTIONAL},
            "next_attempt_at_ms": 0,
            "lease_owner": owner,
            "lease_expires_at_ms": now_ms + (lease_ms or DEFAULT_LEASE_MS) if owner else 0,
        }

        def run(c: Conn) -> Row:
            if c.run(_INSERT, row) == 1:
                if not first:
                    return {**row, "parts": []}
                part: Row = {"delivery_id": row["id"], "part_index": 0, "text": first,
                             "status": "sending", "platform_message_id": None,
                             "last_error": None, "updated_at_unix": now_ms // 1000}  # fmt: skip
                c.run(_FIRST_PART, part)
                return {**row, "parts": [part]}  # the part as written: no read back
            hit = c.one("SELECT id FROM deliveries WHERE idempotency_key = :idempotency_key", row)
            raise AlreadyExists(
                "delivery already recorded", existing_id=str(hit["id"]) if hit else ""
            )

        made = await self._db.write(run)
        if owner is None:  # nobody sends it at once: wake a waiting claimer
            self._wake.notify(1, [DELIVERIES])
        return made

    async def get(self, delivery_id: str, key: str) -> Row:
        col, val = ("id", delivery_id) if delivery_id else ("idempotency_key", key)
        required(col, val)

        def run(c: Conn) -> Row | None:
            row = c.one(f"SELECT * FROM deliveries WHERE {col} = :v", {"v": val})
            return None if row is None else with_parts(c, [row])[0]

        row = await self._db.read(run)
        if row is None:
            raise NotFound("delivery not found", **{col: val})
        return row

    async def update(self, req: Mapping[str, str]) -> Row:
        did = required("id", req["id"])
        if req["status"] not in STATUSES:
            raise InvalidArgument("status must be sent, failed or unknown", field="status")
        p = {
            "id": did,
            "status": req["status"],
            "now": self._clock.now_ms() // 1000,
            "pmid": req.get("platform_message_id") or None,
            "err": req.get("last_error") or None,
        }

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE deliveries SET status = :status, attempts = attempts + 1,"
                " platform_message_id = COALESCE(:pmid, platform_message_id),"
                " last_error = :err, updated_at_unix = :now, lease_owner = NULL,"
                " lease_expires_at_ms = 0 WHERE id = :id AND status <> 'sent' RETURNING *",
                p,
            )
            if row is None:
                if c.one("SELECT id FROM deliveries WHERE id = :id", p) is None:
                    raise NotFound("delivery not found", id=did)
                raise FailedPrecondition("delivery was already sent", id=did)
            return with_parts(c, [row])[0]

        return await self._db.write(run)

    async def list(self, status: str, connector: str, limit: int) -> list[Row]:
        if status and status not in ALL_STATUSES:
            raise InvalidArgument(
                "status must be pending, sending, sent, failed or unknown", field="status"
            )
        params: dict[str, Any] = {
            "status": status,
            "connector": connector.lower(),
            "limit": clamp(limit, 100, 500),
        }
        where = " AND ".join(f"{k} = :{k}" for k in ("status", "connector") if params[k])
        sql = (
            f"SELECT * FROM deliveries {'WHERE ' + where if where else ''}"
            " ORDER BY seq DESC, id DESC LIMIT :limit"
        )
        return await self._db.read(lambda c: with_parts(c, c.all(sql, params)))
