"""Roles per workspace. A user's role in a workspace is the one set for that workspace, else
the user's own role; `overlord` is global and never narrowed. Changes are audited."""

from __future__ import annotations

from store_svc import audit
from store_svc.common import Clock, required
from store_svc.db import Conn, Database
from store_svc.keys import Keys
from svckit.errors import InvalidArgument, NotFound

WORKSPACE_ROLES = ("member", "admin")
OVERLORD = "overlord"


def effective_role(c: Conn, user_id: str, workspace_id: str) -> tuple[str, bool]:
    """(role, set for this workspace) of a user in a workspace; NOT_FOUND for no user."""
    p = {"u": user_id, "w": workspace_id}
    user = c.one("SELECT role FROM users WHERE id = :u", p)
    if user is None:
        raise NotFound("user not found", id=user_id)
    if user["role"] == OVERLORD:
        return OVERLORD, False
    row = c.one("SELECT role FROM workspace_roles WHERE user_id = :u AND workspace_id = :w", p)
    return (str(row["role"]), True) if row else (str(user["role"]), False)


class WorkspaceRoles:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def effective(self, user_id: str, workspace_id: str) -> tuple[str, bool]:
        """(role, set for this workspace) of a user in a workspace; NOT_FOUND for no user."""
        uid, wid = required("user_id", user_id), required("workspace_id", workspace_id)
        return await self._db.read(lambda c: effective_role(c, uid, wid))

    async def set(self, user_id: str, workspace_id: str, role: str, actor: str) -> str:
        """Set (member or admin) or, with "", clear a user's role in one workspace; the
        effective role afterwards."""
        value = role.strip().lower()
        if value and value not in WORKSPACE_ROLES:
            raise InvalidArgument("role must be member, admin or empty", field="role")
        uid, wid = required("user_id", user_id), required("workspace_id", workspace_id)
        now = self._clock.now_ms() // 1000
        p: dict[str, object] = {"u": uid, "w": wid, "r": value, "now": now}

        def run(c: Conn) -> None:
            if c.one("SELECT id FROM users WHERE id = :u", p) is None:
                raise NotFound("user not found", id=uid)
            before = c.one(
                "SELECT role FROM workspace_roles WHERE user_id = :u AND workspace_id = :w", p
            )
            c.run("DELETE FROM workspace_roles WHERE user_id = :u AND workspace_id = :w", p)
            if value:
                c.run(
                    "INSERT INTO workspace_roles (user_id, workspace_id, role, updated_at_unix)"
                    " VALUES (:u, :w, :r, :now)",
                    p,
                )
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "user.workspace_role_changed",
                "user",
                uid,
                workspace_id=wid,
                before={"workspace_id": wid, "role": before["role"] if before else ""},
                after={"workspace_id": wid, "role": value},
            )

        await self._db.write(run)
        return (await self.effective(uid, wid))[0]
