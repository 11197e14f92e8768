"""The outbound delivery ledger: one row per idempotency key, so a retry never sends twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store_svc.common import Clock, clamp, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound

STATUSES = ("sent", "failed", "unknown")


class Deliveries:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def create(self, req: Mapping[str, str]) -> Row:
        now = self._clock.now_ms() // 1000
        row: Row = {
            "id": self._keys.new_id("dlv_"),
            "idempotency_key": required("idempotency_key", req["idempotency_key"]),
            "connector": required("connector", req["connector"]).lower(),
            "chat_id": required("chat_id", req["chat_id"]),
            "text": req.get("text", ""),
            "status": "pending",
            "attempts": 0,
            "created_at_unix": now,
            "updated_at_unix": now,
            "seq": self._keys.next_seq(),
        }

        def run(c: Conn) -> Row:
            if (
                c.run(
                    "INSERT INTO deliveries (id, idempotency_key, connector, chat_id, text,"
                    " status, attempts, created_at_unix, updated_at_unix, seq) VALUES (:id,"
                    " :idempotency_key, :connector, :chat_id, :text, :status, :attempts,"
                    " :created_at_unix, :updated_at_unix, :seq) ON CONFLICT DO NOTHING",
                    row,
                )
                == 1
            ):
                return row
            hit = c.one("SELECT id FROM deliveries WHERE idempotency_key = :idempotency_key", row)
            raise AlreadyExists(
                "delivery already recorded", existing_id=str(hit["id"]) if hit else ""
            )

        return await self._db.write(run)

    async def get(self, delivery_id: str, key: str) -> Row:
        col, val = ("id", delivery_id) if delivery_id else ("idempotency_key", key)
        required(col, val)
        row = await self._db.read(
            lambda c: c.one(f"SELECT * FROM deliveries WHERE {col} = :v", {"v": val})
        )
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
                " last_error = :err, updated_at_unix = :now WHERE id = :id"
                " AND status <> 'sent' RETURNING *",
                p,
            )
            if row is None:
                if c.one("SELECT id FROM deliveries WHERE id = :id", p) is None:
                    raise NotFound("delivery not found", id=did)
                raise FailedPrecondition("delivery was already sent", id=did)
            return row

        return await self._db.write(run)

    async def list(self, status: str, connector: str, limit: int) -> list[Row]:
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
        return await self._db.read(lambda c: c.all(sql, params))
