"""Workspaces and contexts: one community workspace per connector chat (original slug rules)."""

from __future__ import annotations

import builtins
import re
from typing import Any

from store_svc import audit
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from svckit.errors import NotFound

_NON_SLUG = re.compile(r"[^a-zA-Z0-9_-]+")


def slug_part(external_id: str) -> str:
    """Trim, spaces → '-', other runs of odd characters → '-', trim '-', lower; or 'default'."""
    text = _NON_SLUG.sub("-", external_id.strip().replace(" ", "-")).strip("-").lower()
    return text or "default"


def _ensure(
    c: Conn, keys: Keys, connector: str, external: str, display: str, now: int
) -> tuple[Row, bool]:
    slug = f"community-{connector}-{slug_part(external)}"
    name = f"{connector[:1].upper()}{connector[1:]}: {display}"
    c.run(
        "INSERT INTO workspaces (id, slug, name, kind, created_at_unix, seq) VALUES (:id,"
        " :slug, :name, 'community', :now, :seq) ON CONFLICT DO NOTHING",
        {"id": keys.new_id(), "slug": slug, "name": name, "now": now, "seq": keys.next_seq()},
    )
    ws = c.one("SELECT id FROM workspaces WHERE slug = :slug", {"slug": slug})
    assert ws is not None
    p = {
        "id": keys.new_id(),
        "ws": ws["id"],
        "conn": connector,
        "ext": external,
        "now": now,
        "seq": keys.next_seq(),
    }
    created = (
        c.run(
            "INSERT INTO contexts (id, workspace_id, connector, external_id,"
            " created_at_unix, seq) VALUES (:id, :ws, :conn, :ext, :now, :seq)"
            " ON CONFLICT DO NOTHING",
            p,
        )
        == 1
    )
    ctx = c.one(
        "SELECT * FROM contexts WHERE workspace_id = :ws AND connector = :conn"
        " AND external_id = :ext",
        p,
    )
    assert ctx is not None
    return ctx, created


_FIND = (
    "SELECT * FROM contexts WHERE connector = :conn AND external_id = :ext ORDER BY seq, id LIMIT 1"
)


def find_context(c: Conn, connector: str, external: str) -> Row | None:
    """The context of a chat (`connector` lower-cased), or None."""
    return c.one(_FIND, {"conn": connector, "ext": external})


def find_or_ensure(
    c: Conn, keys: Keys, connector: str, external: str, display: str, now: int
) -> Row:
    """The chat's context, made with its workspace when the chat is new. `connector`
    lower-cased, `external` and `display` non-empty."""
    found = find_context(c, connector, external)
    return found if found is not None else _ensure(c, keys, connector, external, display, now)[0]


class Workspaces:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def list(self, page_size: int, page_token: str) -> tuple[builtins.list[Row], str]:
        limit = clamp(page_size, 100, 500)
        return await key_page(self._db, "SELECT * FROM workspaces", [], {}, page_token, limit)

    async def get(self, workspace_id: str) -> Row:
        wid = required("id", workspace_id)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM workspaces WHERE id = :id", {"id": wid})
        )
        if row is None:
            raise NotFound("workspace not found", id=wid)
        return row

    async def ensure_context(
        self, connector: str, external_id: str, display_name: str
    ) -> tuple[Row, bool]:
        conn = required("connector", connector).lower()
        ext = required("external_id", external_id)
        display = display_name.strip() or f"{conn} {ext}"
        now = self._clock.now_ms() // 1000
        return await self._db.write(lambda c: _ensure(c, self._keys, conn, ext, display, now))

    async def get_context(self, context_id: str) -> Row:
        cid = required("id", context_id)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM contexts WHERE id = :id", {"id": cid})
        )
        if row is None:
            raise NotFound("context not found", id=cid)
        return row

    async def find_context(self, connector: str, external_id: str) -> Row:
        p = {
            "conn": required("connector", connector).lower(),
            "ext": required("external_id", external_id),
        }
        row = await self._db.read(lambda c: c.one(_FIND, p))
        if row is None:
            raise NotFound("context not found", connector=p["conn"], external_id=p["ext"])
        return row

    async def list_contexts(
        self, workspace_id: str, admin_only: bool, page_size: int, page_token: str
    ) -> tuple[builtins.list[Row], str]:
        limit = clamp(page_size, 100, 500)
        where: builtins.list[str] = []
        params: dict[str, Any] = {"ws": workspace_id, "t": True}
        if workspace_id:
            where.append("workspace_id = :ws")
        if admin_only:
            where.append("is_admin = :t")
        select = "SELECT * FROM contexts"
        return await key_page(self._db, select, where, params, page_token, limit)

    async def update_context(
        self, context_id: str, is_admin: bool | None, system_prompt: str | None, actor: str
    ) -> Row:
        cid, now = required("id", context_id), self._clock.now_ms() // 1000
        sets: builtins.list[str] = []
        params: dict[str, Any] = {"id": cid}
        if is_admin is not None:
            sets.append("is_admin = :admin")
            params["admin"] = is_admin
        if system_prompt is not None:
            sets.append("system_prompt = :prompt")
            params["prompt"] = system_prompt.strip()

        def run(c: Conn) -> Row:
            before = c.one("SELECT * FROM contexts WHERE id = :id", params)
            if before is None:
                raise NotFound("context not found", id=cid)
            if not sets:
                return before
            row = c.one(f"UPDATE contexts SET {', '.join(sets)} WHERE id = :id RETURNING *", params)
            assert row is not None
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "context.updated",
                "context",
                cid,
                row["workspace_id"],
                _brief(before),
                _brief(row),
            )
            return row

        return await self._db.write(run)


def _brief(row: Row) -> dict[str, Any]:
    return {"is_admin": bool(row["is_admin"]), "system_prompt": row["system_prompt"]}
