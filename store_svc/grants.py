"""Sensitive-tool grants: one per context, with an expiry; granting again replaces it."""

from __future__ import annotations

from store_svc import audit
from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit.errors import InvalidArgument, NotFound

TTL_DEFAULT, TTL_MAX = 3600, 7 * 86400
_KEY = "workspace_id = :workspace_id AND context_id = :context_id"


def active(c: Conn, workspace_id: str, context_id: str, now: int) -> Row | None:
    """The context's unexpired grant, or None (used inside CreateApproval's transaction)."""
    row = c.one(
        f"SELECT * FROM sensitive_grants WHERE {_KEY}",
        {"workspace_id": workspace_id, "context_id": context_id},
    )
    return row if row is not None and row["expires_at_unix"] > now else None


class Grants:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    def _now(self) -> int:
        return self._clock.now_ms() // 1000

    async def grant(self, workspace_id: str, context_id: str, ttl: int, actor: str) -> Row:
        key = {
            "workspace_id": required("workspace_id", workspace_id),
            "context_id": required("context_id", context_id),
        }
        if ttl < 0 or ttl > TTL_MAX:
            raise InvalidArgument(f"ttl_seconds must be 0 to {TTL_MAX}", field="ttl_seconds")
        now = self._now()
        row: Row = {
            **key,
            "granted_by": actor,
            "created_at_unix": now,
            "expires_at_unix": now + (ttl or TTL_DEFAULT),
        }

        def run(c: Conn) -> Row:
            c.run(f"DELETE FROM sensitive_grants WHERE {_KEY}", key)
            c.run(
                "INSERT INTO sensitive_grants (workspace_id, context_id, granted_by,"
                " created_at_unix, expires_at_unix) VALUES (:workspace_id, :context_id,"
                " :granted_by, :created_at_unix, :expires_at_unix)",
                row,
            )
            subject = f"{key['workspace_id']}/{key['context_id']}"
            after = {"expires_at_unix": row["expires_at_unix"]}
            audit.append(
                c, self._keys, now, actor, "grant.sensitive_tools", "context", subject,
                key["workspace_id"], after=after,
            )  # fmt: skip
            return row

        return await self._db.write(run)

    async def get(self, workspace_id: str, context_id: str) -> Row:
        ws, ctx = required("workspace_id", workspace_id), required("context_id", context_id)
        now = self._now()
        row = await self._db.read(lambda c: active(c, ws, ctx, now))
        if row is None:
            raise NotFound("this context holds no sensitive-tool grant", context_id=ctx)
        return row

    async def revoke(self, workspace_id: str, context_id: str, actor: str) -> Row:
        row = await self.get(workspace_id, context_id)
        key = {"workspace_id": row["workspace_id"], "context_id": row["context_id"]}
        now = self._now()

        def run(c: Conn) -> Row:
            c.run(f"DELETE FROM sensitive_grants WHERE {_KEY}", key)
            subject = f"{key['workspace_id']}/{key['context_id']}"
            audit.append(
                c, self._keys, now, actor, "grant.revoked", "context", subject, key["workspace_id"]
            )
            return row

        return await self._db.write(run)
