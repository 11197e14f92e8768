"""Leader leases: one holder per name until expiry; each change of holder bumps the token."""

from __future__ import annotations

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from svckit.errors import Aborted, NotFound


class Leases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    def _params(self, name: str, holder: str, ttl_ms: int) -> dict[str, object]:
        now = self._clock.now_ms()
        return {
            "name": required("name", name),
            "holder": required("holder", holder),
            "now": now,
            "exp": now + (ttl_ms if ttl_ms > 0 else 15_000),
        }

    async def acquire(self, name: str, holder: str, ttl_ms: int) -> Row:
        p = self._params(name, holder, ttl_ms)

        def run(c: Conn) -> Row:
            row = c.one(
                "INSERT INTO leader_leases (name, holder, expires_at_ms, token) VALUES"
                " (:name, :holder, :exp, 1) ON CONFLICT (name) DO UPDATE SET"
                " holder = :holder, expires_at_ms = :exp, token = CASE WHEN"
                " leader_leases.holder = :holder THEN leader_leases.token ELSE"
                " leader_leases.token + 1 END WHERE leader_leases.holder = :holder OR"
                " leader_leases.expires_at_ms < :now RETURNING *",
                p,
            )
            if row is None:
                held = c.one("SELECT holder FROM leader_leases WHERE name = :name", p)
                raise Aborted(
                    "lease is held by another holder", holder=str(held["holder"] if held else "")
                )
            return row

        return await self._db.write(run)

    async def renew(self, name: str, holder: str, ttl_ms: int) -> Row:
        p = self._params(name, holder, ttl_ms)

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE leader_leases SET expires_at_ms = :exp WHERE name = :name"
                " AND holder = :holder AND expires_at_ms >= :now RETURNING *",
                p,
            )
            if row is None:
                raise Aborted("lease is not held by this holder", name=str(p["name"]))
            return row

        return await self._db.write(run)

    async def release(self, name: str, holder: str) -> bool:
        p = self._params(name, holder, 0)
        return bool(
            await self._db.write(
                lambda c: c.run(
                    "UPDATE leader_leases SET expires_at_ms = 0 WHERE name = :name"
                    " AND holder = :holder AND expires_at_ms >= :now",
                    p,
                )
            )
        )

    async def get(self, name: str) -> Row:
        n = required("name", name)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM leader_leases WHERE name = :n", {"n": n})
        )
        if row is None:
            raise NotFound("lease not found", name=n)
        return row
