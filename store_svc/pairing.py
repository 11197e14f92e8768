"""Pairing requests: tokens stored only as sha256 + hint; approval links a verified identity."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from store_svc import audit
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.identities import admin_user, check_role, link, new_user
from store_svc.keys import Keys
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted

CONNECTORS = ("telegram", "discord", "codex", "cline", "gemini")


@dataclass(frozen=True)
class Limits:
    """Per connector user: at most `max_pending` requests pending at once (a new one expires
    the oldest beyond that, so the latest tokens work and none piles up), and at most
    `starts` requests started within `window_seconds` (more is RESOURCE_EXHAUSTED)."""

    max_pending: int = 3
    starts: int = 5
    window_seconds: int = 600


def view(row: Row, now: int) -> Row:
    """A pending request past its expiry reads as expired, marked so or not yet."""
    if row["status"] == "pending" and row["expires_at_unix"] <= now:
        return {**row, "status": "expired"}
    return row


def new_token() -> str:
    """10 random bytes, base32 without padding: 16 characters of A-Z and 2-7."""
    return base64.b32encode(secrets.token_bytes(10)).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().upper().encode()).hexdigest()


_USER = "connector = :c AND connector_user_id = :u"


def _token(token: str) -> str:
    text = token.strip().upper()
    if not text:
        raise InvalidArgument("invalid token", field="token")
    return token_hash(text)


class Pairings:
    def __init__(self, db: Database, clock: Clock, keys: Keys, limits: Limits = Limits()) -> None:
        self._db, self._clock, self._keys, self._limits = db, clock, keys, limits

    async def create(
        self, connector: str, connector_user_id: str, display_name: str, expires_in_sec: int
    ) -> tuple[Row, str]:
        conn = required("connector", connector).lower()
        if conn not in CONNECTORS:
            raise InvalidArgument("invalid pairing input: unsupported connector", field="connector")
        if expires_in_sec < 0:
            raise InvalidArgument("expires_in_sec must be positive", field="expires_in_sec")
        token, now = new_token(), self._clock.now_ms() // 1000
        row: Row = {
            "id": self._keys.new_id(),
            "token_hash": token_hash(token),
            "token_hint": f"{token[:4]}...{token[-4:]}",
            "connector": conn,
            "connector_user_id": required("connector_user_id", connector_user_id),
            "display_name": required("display_name", display_name),
            "status": "pending",
            "expires_at_unix": now + (expires_in_sec or 600),
            "created_at_unix": now,
            "updated_at_unix": now,
            "seq": self._keys.next_seq(),
        }

        lim = self._limits
        user = {"c": conn, "u": row["connector_user_id"], "now": now}

        def run(c: Conn) -> Row | ResourceExhausted:
            # First the account's lock row: on PostgreSQL the upsert holds it until commit,
            # so concurrent starts of one account count the window one after another (under
            # read committed each would miss the others' uncommitted requests); SQLite's
            # writes are serialized already.
            c.run(
                "INSERT INTO pairing_starters (connector, connector_user_id, last_start_unix)"
                " VALUES (:c, :u, :now) ON CONFLICT (connector, connector_user_id)"
                " DO UPDATE SET last_start_unix = :now",
                user,
            )
            # lapsed requests are marked expired (persisted), whatever happens next
            c.run(
                "UPDATE pairing_requests SET status = 'expired', updated_at_unix = :now"
                f" WHERE {_USER} AND status = 'pending' AND expires_at_unix <= :now",
                user,
            )
            recent = c.all(
                f"SELECT created_at_unix FROM pairing_requests WHERE {_USER}"
                " AND created_at_unix > :since ORDER BY created_at_unix",
                {**user, "since": now - lim.window_seconds},
            )
            if len(recent) >= lim.starts:
                wait = int(recent[0]["created_at_unix"]) + lim.window_seconds - now
                return ResourceExhausted(
                    f"too many pairing requests: at most {lim.starts} in"
                    f" {lim.window_seconds // 60} minutes; try again in {max(1, wait)} seconds",
                    retry_after_seconds=str(max(1, wait)),
                )
            pending = c.all(
                f"SELECT id FROM pairing_requests WHERE {_USER} AND status = 'pending'"
                " ORDER BY seq DESC",
                user,
            )
            for old in pending[max(0, lim.max_pending - 1) :]:  # room for the new one
                c.run(
                    "UPDATE pairing_requests SET status = 'expired', updated_at_unix = :now"
                    " WHERE id = :id AND status = 'pending'",
                    {"id": old["id"], "now": now},
                )
            c.run(
                f"INSERT INTO pairing_requests ({', '.join(row)}) VALUES"
                f" ({', '.join(':' + k for k in row)})",
                row,
            )
            return row

        out = await self._db.write(run)
        if isinstance(out, ResourceExhausted):
            raise out
        return out, token

    async def lookup(self, token: str) -> Row:
        h = _token(token)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM pairing_requests WHERE token_hash = :h", {"h": h})
        )
        if row is None:
            raise NotFound("pairing request not found")
        return view(row, self._clock.now_ms() // 1000)

    async def list(self, status: str, page_size: int, page_token: str) -> tuple[list[Row], str]:
        limit = clamp(page_size, 100, 500)
        where = ["status = :s"] if status else []
        select = "SELECT * FROM pairing_requests"
        return await key_page(
            self._db, select, where, {"s": status}, page_token, limit, descending=True
        )

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str, workspace_id: str = ""
    ) -> tuple[Row, Row]:
        """Link the account: to `target_user_id`, or a new user with `role`. With
        `workspace_id`, role `admin` is that workspace's only (the user is a member elsewhere);
        without it, `role` is the user's own. `target_user_id` `admin:<name>` (the approving
        admin certificate itself) makes that admin's user if it is not there yet."""
        h, who = _token(token), required("approver_user_id", approver)
        new_role, now = check_role(role), self._clock.now_ms() // 1000
        ws = workspace_id.strip()
        scoped = bool(ws) and new_role == "admin"

        def run(c: Conn) -> tuple[str, Row, Row | None]:
            req = c.one("SELECT * FROM pairing_requests WHERE token_hash = :h", {"h": h})
            if req is None:
                raise NotFound("pairing request not found")
            if req["status"] != "pending":
                return ("expired" if req["status"] == "expired" else "not_pending"), req, None
            if req["expires_at_unix"] <= now:  # persisted, unlike the original
                c.run(
                    "UPDATE pairing_requests SET status = 'expired', updated_at_unix = :now"
                    " WHERE id = :id AND status = 'pending'",
                    {"id": req["id"], "now": now},
                )
                return "expired", req, None
            if target_user_id:
                user = c.one("SELECT * FROM users WHERE id = :id", {"id": target_user_id})
                if user is None and target_user_id == who and who.startswith("admin:"):
                    user = admin_user(c, who, now)
                if user is None:
                    raise NotFound("target user not found", id=target_user_id)
            else:
                role_of_user = "member" if scoped else new_role
                user = new_user(c, self._keys, req["display_name"], role_of_user, None, now)
                if scoped:
                    if c.one("SELECT id FROM workspaces WHERE id = :w", {"w": ws}) is None:
                        raise NotFound("workspace not found", id=ws)
                    c.run(
                        "INSERT INTO workspace_roles (user_id, workspace_id, role,"
                        " updated_at_unix) VALUES (:u, :w, 'admin', :now)",
                        {"u": user["id"], "w": ws, "now": now},
                    )
            ident = link(c, self._keys, user["id"], req["connector"], req["connector_user_id"], now)
            done = c.one(
                "UPDATE pairing_requests SET status = 'approved', approved_user_id ="
                " :uid, approver_user_id = :who, updated_at_unix = :now WHERE id = :id"
                " AND status = 'pending' RETURNING *",
                {"uid": user["id"], "who": who, "now": now, "id": req["id"]},
            )
            if done is None:
                raise FailedPrecondition("pairing request is not pending")
            audit.append(
                c,
                self._keys,
                now,
                who,
                "pairing.approved",
                "pairing",
                req["id"],
                before={"status": "pending"},
                workspace_id=ws or None,
                after={
                    "status": "approved",
                    "user_id": user["id"],
                    "role": "admin" if scoped else user["role"],
                    **({"workspace_id": ws} if ws else {}),
                },
            )
            return "ok", done, ident

        outcome, req, ident = await self._db.write(run)
        if outcome == "expired":
            raise FailedPrecondition("pairing request expired", id=req["id"])
        if outcome == "not_pending" or ident is None:
            raise FailedPrecondition("pairing request is not pending", status=req["status"])
        return req, ident

    async def deny(self, token: str, approver: str, reason: str) -> Row:
        h, who = _token(token), required("approver_user_id", approver)
        why, now = required("reason", reason), self._clock.now_ms() // 1000

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE pairing_requests SET status = 'denied', denied_reason = :why,"
                " approver_user_id = :who, updated_at_unix = :now WHERE token_hash = :h"
                " AND status = 'pending' RETURNING *",
                {"why": why, "who": who, "now": now, "h": h},
            )
            if row is None:
                hit = c.one("SELECT status FROM pairing_requests WHERE token_hash = :h", {"h": h})
                if hit is None:
                    raise NotFound("pairing request not found")
                raise FailedPrecondition("pairing request is not pending", status=hit["status"])
            audit.append(
                c,
                self._keys,
                now,
                who,
                "pairing.denied",
                "pairing",
                row["id"],
                after={"status": "denied", "reason": why},
            )
            return row

        return await self._db.write(run)
