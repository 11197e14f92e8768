"""The inbound journal (a redelivered message returns the first outcome) and IMAP ingestions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from store_svc.common import Clock, or_none, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit.errors import InvalidArgument, NotFound

_KEY = "connector = :connector AND chat_id = :chat_id AND platform_message_id = :pmid"


class Journal:
    def __init__(self, db: Database, clock: Clock, keys: Keys, retake_after_s: int = 300) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._retake_after_s = retake_after_s

    async def record(self, req: Mapping[str, str]) -> tuple[Row, bool]:
        return await self._db.write(self.record_unit(req))

    def record_unit(self, req: Mapping[str, str]) -> Callable[[Conn], tuple[Row, bool]]:
        """Journal a message; returns (entry, duplicate). A redelivery of a message whose
        handling failed, or that is still "received" `retake_after_s` after it was taken (its
        handler died), is taken again: the entry, back to received, and not a duplicate. The
        entry id stays, so what its first handling started (a turn keyed by it) is found,
        not run again. As a unit of work, for a caller that runs several in one transaction
        (`Inbound.begin_many`)."""
        now = self._clock.now_ms() // 1000
        row: Row = {
            "id": self._keys.new_id("in_"),
            "connector": required("connector", req["connector"]).lower(),
            "chat_id": required("chat_id", req["chat_id"]),
            "pmid": required("platform_message_id", req["platform_message_id"]),
            "sender_id": or_none(req.get("sender_id", "")),
            "text": req.get("text", ""),
            "now": now,
            "stale": now - self._retake_after_s,
        }

        def run(c: Conn) -> tuple[Row, bool]:
            inserted = c.run(
                "INSERT INTO inbound_journal (id, connector, chat_id, platform_message_id,"
                " sender_id, text, status, created_at_unix, updated_at_unix) VALUES (:id,"
                " :connector, :chat_id, :pmid, :sender_id, :text, 'received', :now, :now)"
                " ON CONFLICT DO NOTHING",
                row,
            )
            if inserted == 0:
                inserted = c.run(
                    "UPDATE inbound_journal SET status = 'received', outcome = NULL,"
                    f" updated_at_unix = :now WHERE {_KEY} AND (status = 'failed'"
                    " OR (status = 'received' AND updated_at_unix <= :stale))",
                    row,
                )
            entry = c.one(f"SELECT * FROM inbound_journal WHERE {_KEY}", row)
            assert entry is not None
            return entry, inserted == 0

        return run

    async def complete(self, entry_id: str, status: str, outcome: str) -> Row:
        return await self._db.write(self.complete_unit(entry_id, status, outcome))

    def complete_unit(self, entry_id: str, status: str, outcome: str) -> Callable[[Conn], Row]:
        """Store the outcome of an entry, once; as a unit of work (see `record_unit`)."""
        eid = required("id", entry_id)
        if status not in ("handled", "failed"):
            raise InvalidArgument("status must be handled or failed", field="status")
        params = {
            "id": eid,
            "status": status,
            "outcome": outcome,
            "now": self._clock.now_ms() // 1000,
        }

        def run(c: Conn) -> Row:
            c.run(
                "UPDATE inbound_journal SET status = :status, outcome = :outcome,"
                " updated_at_unix = :now WHERE id = :id AND status = 'received'",
                params,
            )
            entry = c.one("SELECT * FROM inbound_journal WHERE id = :id", params)
            if entry is None:
                raise NotFound("journal entry not found", id=eid)
            return entry  # the first outcome wins; a later one is ignored

        return run

    async def imap_ingested(self, account_key: str, uid: int, message_id: str) -> bool:
        key = account_key.strip().lower()
        if not key or uid <= 0:
            raise InvalidArgument(
                "account key and uid are required", field="account_key" if not key else "uid"
            )
        params: dict[str, Any] = {"key": key, "uid": uid, "mid": message_id.strip()}
        by_mid = " OR message_id = :mid" if params["mid"] else ""
        sql = f"SELECT id FROM imap_ingestions WHERE account_key = :key AND (uid = :uid{by_mid})"
        return await self._db.read(lambda c: c.one(sql, params) is not None)

    async def mark_imap(self, req: Mapping[str, Any]) -> bool:
        row: Row = {
            k: required(k, str(req.get(k, "")))
            for k in ("account_key", "workspace_id", "context_id", "file_path")
        }
        if int(req.get("uid", 0)) <= 0:
            raise InvalidArgument("uid is required", field="uid")
        row.update(
            id=self._keys.new_id("ing_"),
            account_key=row["account_key"].lower(),
            uid=int(req["uid"]),
            message_id=or_none(str(req.get("message_id", ""))),
            created_at_unix=self._clock.now_ms() // 1000,
            # a caller that names no mailbox keys its account by the mailbox (the original)
            mailbox_key=(str(req.get("mailbox_key", "")).strip() or row["account_key"]).lower(),
            reply_address=or_none(str(req.get("reply_address", ""))),
            subject=or_none(str(req.get("subject", ""))),
        )
        return bool(
            await self._db.write(
                lambda c: c.run(
                    "INSERT INTO imap_ingestions (id, account_key, uid, message_id, workspace_id,"
                    " context_id, file_path, created_at_unix, mailbox_key, reply_address,"
                    " subject) VALUES (:id, :account_key, :uid, :message_id, :workspace_id,"
                    " :context_id, :file_path, :created_at_unix, :mailbox_key, :reply_address,"
                    " :subject) ON CONFLICT DO NOTHING",
                    row,
                )
            )
        )

    async def find_imap(self, mailbox_key: str, message_id: str) -> Row | None:
        """The e-mail `message_id` of the mailbox, or its latest when `message_id` is ""."""
        params = {"key": required("mailbox_key", mailbox_key).lower(), "mid": message_id.strip()}
        where = "mailbox_key = :key" + (" AND message_id = :mid" if params["mid"] else "")
        sql = (
            f"SELECT * FROM imap_ingestions WHERE {where}"
            " ORDER BY created_at_unix DESC, uid DESC LIMIT 1"
        )
        return await self._db.read(lambda c: c.one(sql, params))
