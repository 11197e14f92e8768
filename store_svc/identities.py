"""Users and identities: lookup of verified identities only, listing, re-role, revoke."""

from __future__ import annotations

from typing import Any

from store_svc import audit
from store_svc.common import (
    Clock,
    clamp,
    key_page,
    or_none,
    required,
)
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit.errors import AlreadyExists, InvalidArgument, NotFound

_AUDITED = ("user_id", "connector", "connector_user_id", "display_name", "role")
ROLES = ("overlord", "admin", "operator", "member", "viewer")
_JOINED = (
    "SELECT i.*, u.display_name AS display_name, u.role AS role FROM identities i"
    " JOIN users u ON u.id = i.user_id"
)


def verified_identity(c: Conn, connector: str, connector_user_id: str) -> Row | None:
    """The verified, active identity of a chat account (`connector` lower-cased) with its
    user's name and role, or None."""
    return c.one(
        f"{_JOINED} WHERE i.connector = :conn AND i.connector_user_id = :cuid"
        " AND i.verified = :t AND i.status = 'active'",
        {"conn": connector, "cuid": connector_user_id, "t": True},
    )


def check_role(role: str, default: str = "member") -> str:
    value = role.strip().lower() or default
    if value not in ROLES:
        raise InvalidArgument("invalid role", field="role")
    return value


def link(
    c: Conn, keys: Keys, user_id: str, connector: str, connector_user_id: str, now: int
) -> Row:
    """Insert a verified identity; ALREADY_EXISTS when the account has an active link. A
    revoked link of the same account stays as history; this makes a new one."""
    p = {
        "id": keys.new_id(),
        "user": user_id,
        "conn": connector,
        "cuid": connector_user_id,
        "now": now,
        "t": True,
        "seq": keys.next_seq(),
    }
    if (
        c.run(
            "INSERT INTO identities (id, user_id, connector, connector_user_id, verified,"
            " created_at_unix, seq) VALUES (:id, :user, :conn, :cuid, :t, :now, :seq)"
            " ON CONFLICT DO NOTHING",
            p,
        )
        == 0
    ):
        hit = c.one(
            "SELECT id FROM identities WHERE connector = :conn AND connector_user_id = :cuid"
            " AND status = 'active'",
            p,
        )
        raise AlreadyExists("identity is already linked", existing_id=hit["id"] if hit else "")
    row = c.one(f"{_JOINED} WHERE i.id = :id", p)
    assert row is not None
    return row


def new_user(c: Conn, keys: Keys, display_name: str, role: str, email: str | None, now: int) -> Row:
    user: Row = {
        "id": keys.new_id(),
        "email": email,
        "display_name": display_name,
        "role": role,
        "created_at_unix": now,
    }
    c.run(
        "INSERT INTO users (id, email, display_name, role, created_at_unix) VALUES"
        " (:id, :email, :display_name, :role, :created_at_unix)",
        user,
    )
    return user


def admin_user(c: Conn, admin: str, now: int) -> Row:
    """The user that stands for an admin certificate (`admin:<name>`, its id): what a chat
    session linked to that admin (`agent-runtime chat pairing pair-admin`) speaks as."""
    user: Row = {"id": admin, "email": None, "display_name": admin, "role": "admin",
                 "created_at_unix": now}  # fmt: skip
    c.run(
        "INSERT INTO users (id, email, display_name, role, created_at_unix) VALUES"
        " (:id, :email, :display_name, :role, :created_at_unix) ON CONFLICT DO NOTHING",
        user,
    )
    found = c.one("SELECT * FROM users WHERE id = :id", user)
    assert found is not None
    return found


class Identities:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def lookup(self, connector: str, connector_user_id: str) -> Row:
        conn = required("connector", connector).lower()
        cuid = required("connector_user_id", connector_user_id)
        row = await self._db.read(lambda c: verified_identity(c, conn, cuid))
        if row is None:
            raise NotFound("identity not found")
        return row

    async def get_user(self, user_id: str) -> Row:
        uid = required("id", user_id)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM users WHERE id = :id", {"id": uid})
        )
        if row is None:
            raise NotFound("user not found", id=uid)
        return row

    async def create_user(
        self,
        display_name: str,
        role: str,
        email: str,
        connector: str,
        connector_user_id: str,
        actor: str,
    ) -> tuple[Row, Row | None]:
        name, r = required("display_name", display_name), check_role(role)
        conn = connector.strip().lower()
        cuid = required("connector_user_id", connector_user_id) if conn else ""
        now = self._clock.now_ms() // 1000

        def run(c: Conn) -> tuple[Row, Row | None]:
            user = new_user(c, self._keys, name, r, email.strip() or None, now)
            ident = link(c, self._keys, user["id"], conn, cuid, now) if conn else None
            audit.append(c, self._keys, now, actor, "user.created", "user", user["id"], after=user)
            return user, ident

        return await self._db.write(run)

    async def list(
        self,
        connector: str,
        page_size: int,
        page_token: str,
        user_id: str = "",
        role: str = "",
        include_revoked: bool = False,
    ) -> tuple[list[Row], str]:
        """Oldest first; active identities only unless `include_revoked`."""
        limit = clamp(page_size, 100, 500)
        p: dict[str, Any] = {}
        conds = [] if include_revoked else ["i.status = 'active'"]
        if connector.strip():
            p["conn"] = connector.strip().lower()
            conds.append("i.connector = :conn")
        if user_id.strip():
            p["uid"] = user_id.strip()
            conds.append("i.user_id = :uid")
        if role.strip():
            p["role"] = check_role(role, "")
            conds.append("u.role = :role")
        return await key_page(self._db, _JOINED, conds, p, page_token, limit, table="i")

    async def set_role(self, identity_id: str, role: str, actor: str) -> Row:
        p = {"id": required("identity_id", identity_id), "role": check_role(role, "")}
        now = self._clock.now_ms() // 1000

        def run(c: Conn) -> Row:
            before = c.one(f"{_JOINED} WHERE i.id = :id", p)
            if before is None:
                raise NotFound("identity not found", id=p["id"])
            c.run(
                "UPDATE users SET role = :role WHERE id = (SELECT user_id FROM identities"
                " WHERE id = :id)",
                p,
            )
            after = {**before, "role": p["role"]}
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "identity.role_changed",
                "identity",
                p["id"],
                before={"role": before["role"]},
                after={"role": p["role"]},
            )
            return after

        return await self._db.write(run)

    async def revoke(self, identity_id: str, actor: str, reason: str = "") -> Row:
        """Mark an active identity revoked (one conditional UPDATE); the row stays.
        NOT_FOUND for an unknown or already revoked identity (as when revoking deleted it)."""
        now = self._clock.now_ms() // 1000
        iid = required("identity_id", identity_id)
        p: dict[str, Any] = {"id": iid, "now": now, "why": or_none(reason)}

        def run(c: Conn) -> Row:
            if not c.run(
                "UPDATE identities SET status = 'revoked', revoked_at_unix = :now,"
                " revoke_reason = :why WHERE id = :id AND status = 'active'",
                p,
            ):
                old = c.one("SELECT status FROM identities WHERE id = :id", p)
                if old is None:
                    raise NotFound("identity not found", id=iid)
                raise NotFound("identity is already revoked", id=iid, status=old["status"])
            row = c.one(f"{_JOINED} WHERE i.id = :id", p)
            assert row is not None
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "identity.revoked",
                "identity",
                iid,
                before={k: row[k] for k in _AUDITED} | {"status": "active"},
                after={"status": "revoked", "reason": p["why"]},
            )
            return row

        return await self._db.write(run)
