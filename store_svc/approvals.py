"""Action approvals: pending until an admin decides, expiring closed after a TTL; the
decision and the execution outcome are each one conditional UPDATE, recorded once and
audited."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from store_svc import approval_expiry, audit, grants, notices
from store_svc.common import Clock, clamp, key_page, or_none, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.wakeups import DELIVERIES, Wakeups
from svckit.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound

STATUSES = ("pending", "approved", "denied", "expired")
# running: the effect is about to happen (written before it); the others are outcomes,
# written after it; unknown: it started and its outcome was lost (never repeated).
EXECUTION = ("running", "succeeded", "failed", "skipped", "unknown")
_FROM = {"running": "('not_executed', 'queued')"}
KEY_MAX = 200
_REQUIRED = (
    "workspace_id",
    "context_id",
    "connector",
    "external_id",
    "requester_user_id",
    "action_type",
)


def view(row: Row, now: int) -> Row:
    """A pending approval past its expiry reads as expired, stored so or not yet."""
    if row["status"] == "pending" and row["expires_at_unix"] <= now:
        return {**row, "status": "expired"}
    return row


def _payload(text: str) -> str:
    raw = text.strip() or "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidArgument("payload_json is not valid JSON", field="payload_json") from None
    if not isinstance(value, dict):
        raise InvalidArgument("payload_json must be a JSON object", field="payload_json")
    return raw


def _summary(row: Row) -> Row:
    """What the audit log keeps of an approval (never the payload: it may hold secrets)."""
    keep = (
        "status",
        "approver_user_id",
        "denied_reason",
        "execution_status",
        "executor_plugin",
        "task_id",
    )
    return {k: row[k] for k in keep if row.get(k) is not None}


class Approvals:
    def __init__(
        self, db: Database, clock: Clock, keys: Keys, ttl_seconds: int, wake: Wakeups | None = None
    ) -> None:
        self._db, self._clock, self._keys, self._ttl = db, clock, keys, ttl_seconds
        self._wake = wake or Wakeups()

    def _now(self) -> int:
        return self._clock.now_ms() // 1000

    async def create(self, req: Mapping[str, Any]) -> Row:
        """A pending approval (see `create_once`)."""
        return (await self.create_once(req))[0]

    async def create_once(self, req: Mapping[str, Any]) -> tuple[Row, bool]:
        """A pending approval and True; with an `idempotency_key` that already created one,
        that approval (as it is now) and False: nothing is created twice, concurrent
        requests included."""
        row: Row = {k: required(k, str(req.get(k, ""))) for k in _REQUIRED}
        row["connector"] = row["connector"].lower()
        ttl = int(req.get("ttl_seconds") or 0)
        if ttl < 0:
            raise InvalidArgument("ttl_seconds must not be negative", field="ttl_seconds")
        key = str(req.get("idempotency_key", "")).strip()
        if len(key) > KEY_MAX:
            raise InvalidArgument("idempotency_key is too long", field="idempotency_key")
        now = self._now()
        row.update(
            id=self._keys.new_id("act_"),
            action_target=or_none(str(req.get("action_target", ""))),
            action_summary=or_none(str(req.get("action_summary", ""))),
            payload_json=_payload(str(req.get("payload_json", ""))),
            status="pending",
            execution_status="not_executed",
            created_at_unix=now,
            updated_at_unix=now,
            # the configured TTL is the ceiling: a caller may only ask for less
            expires_at_unix=now + (min(ttl, self._ttl) if ttl else self._ttl),
            idempotency_key=key or None,
            approver_user_id=None,
            seq=self._keys.next_seq(),
        )
        cols = ", ".join(row)
        sql = (
            f"INSERT INTO action_approvals ({cols}) VALUES ({', '.join(':' + k for k in row)})"
            " ON CONFLICT DO NOTHING"
        )
        by_key = "SELECT * FROM action_approvals WHERE idempotency_key = :k"

        use_grant = bool(req.get("use_grant"))

        def run(c: Conn) -> tuple[Row, bool]:
            if key:
                hit = c.one(by_key, {"k": key})
                if hit is not None:
                    return hit, False
            grant = (
                grants.active(c, row["workspace_id"], row["context_id"], now) if use_grant else None
            )
            if grant is not None:
                row.update(status="approved", approver_user_id=f"grant:{grant['granted_by']}")
            if c.run(sql, row) != 1:
                hit = c.one(by_key, {"k": key}) if key else None
                if hit is None:
                    raise FailedPrecondition("action approval could not be created")
                return hit, False
            audit.append(
                c,
                self._keys,
                now,
                row["requester_user_id"],
                "approval.requested",
                "approval",
                row["id"],
                row["workspace_id"],
                after={
                    "status": "pending",
                    "action_type": row["action_type"],
                    "expires_at_unix": row["expires_at_unix"],
                },
            )
            if grant is not None:
                approver = str(row["approver_user_id"])
                audit.append(
                    c, self._keys, now, approver, "approval.approved", "approval",
                    row["id"], row["workspace_id"], after=_summary(row),
                )  # fmt: skip
            elif notices.approval_created(c, self._keys, row, now):
                announced.append(row["id"])
            return row, True

        announced: builtins.list[str] = []
        found, created = await self._db.write(run)
        if announced:  # its announcement may be delivered now
            self._wake.notify(1, [DELIVERIES])
        return view(found, now), created

    async def get(self, approval_id: str) -> Row:
        aid = required("id", approval_id)
        row = await self._db.read(
            lambda c: c.one("SELECT * FROM action_approvals WHERE id = :id", {"id": aid})
        )
        if row is None:
            raise NotFound("action approval not found", id=aid)
        return view(row, self._now())

    async def list(self, filters: Mapping[str, Any], limit: int) -> builtins.list[Row]:
        """The first page (see `page`)."""
        return (await self.page(filters, limit, ""))[0]

    async def page(
        self, filters: Mapping[str, Any], limit: int, page_token: str
    ) -> tuple[builtins.list[Row], str]:
        """Oldest first (creation order), a page and the next page's token (keyset: stable
        under inserts); `pending` means still decidable, `expired` includes lapsed pending."""
        now, n = self._now(), clamp(limit, 10, 500)
        params: dict[str, Any] = {"now": now}
        where: builtins.list[str] = []
        status = str(filters.get("status", "")).strip().lower()
        if status == "pending":
            where.append("status = 'pending' AND expires_at_unix > :now")
        elif status == "expired":
            where.append("(status = 'expired' OR (status = 'pending' AND expires_at_unix <= :now))")
        elif status in STATUSES:
            where.append("status = :status")
            params["status"] = status
        elif status:
            raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
        for k in ("workspace_id", "context_id", "connector", "external_id"):
            value = str(filters.get(k, "")).strip()
            if value:
                where.append(f"{k} = :{k}")
                params[k] = value.lower() if k == "connector" else value
        select = "SELECT * FROM action_approvals"
        rows, token = await key_page(self._db, select, where, params, page_token, n)
        return [view(r, now) for r in rows], token

    async def decide(self, approval_id: str, approve: bool, approver: str, reason: str) -> Row:
        """Approve or deny a pending, unexpired approval: one conditional UPDATE."""
        aid, who = required("id", approval_id), required("approver_user_id", approver)
        now = self._now()
        p = {"id": aid, "who": who, "now": now, "why": reason.strip() or "denied by admin"}
        sql = (
            "UPDATE action_approvals SET status = 'approved', approver_user_id = :who,"
            " updated_at_unix = :now"
            if approve
            else "UPDATE action_approvals SET status = 'denied', approver_user_id = :who,"
            " denied_reason = :why, updated_at_unix = :now"
        ) + " WHERE id = :id AND status = 'pending' AND expires_at_unix > :now RETURNING *"

        def run(c: Conn) -> Row | DomainError:
            row = c.one(sql, p)
            if row is not None:
                action = "approval.approved" if approve else "approval.denied"
                audit.append(
                    c,
                    self._keys,
                    now,
                    who,
                    action,
                    "approval",
                    aid,
                    row["workspace_id"],
                    before={"status": "pending"},
                    after=_summary(row),
                )
                return row
            return _refusal(c, self._keys, aid, now)

        # a refusal is returned, not raised, so that marking an expiry is committed
        out = await self._db.write(run)
        if isinstance(out, DomainError):
            if out.details.get("status") == "expired":  # the requester's notice, maybe new
                self._wake.notify(1, [DELIVERIES])
            raise out
        return out

    async def record_execution(
        self, approval_id: str, status: str, message: str, plugin: str, at: int, actor: str
    ) -> Row:
        aid = required("id", approval_id)
        state = required("execution_status", status).lower()
        if state not in EXECUTION:
            raise InvalidArgument(
                f"execution_status must be one of {', '.join(EXECUTION)}", field="execution_status"
            )
        now = self._now()
        p = {"id": aid, "s": state, "m": or_none(message), "pl": or_none(plugin), "at": at or now}

        start = state == "running"
        allowed = _FROM.get(state, "('not_executed', 'queued', 'running')")
        executed = "NULL" if start else ":at"
        sql = (
            "UPDATE action_approvals SET execution_status = :s, execution_message = :m,"
            f" executor_plugin = :pl, executed_at_unix = {executed}, updated_at_unix = :at"
            f" WHERE id = :id AND status = 'approved' AND execution_status IN {allowed}"
            " RETURNING *"
        )

        def run(c: Conn) -> Row:
            before = c.one("SELECT execution_status FROM action_approvals WHERE id = :id", p)
            row = c.one(sql, p)
            if row is None:
                old = c.one("SELECT * FROM action_approvals WHERE id = :id", p)
                if old is None:
                    raise NotFound("action approval not found", id=aid)
                if old["status"] != "approved":
                    raise FailedPrecondition(
                        f"action approval is {view(old, now)['status']}, not approved",
                        status=view(old, now)["status"],
                    )
                raise FailedPrecondition(
                    f"execution is already {old['execution_status']}",
                    execution_status=old["execution_status"],
                )
            action = "approval.started" if start else "approval.executed"
            was = before["execution_status"] if before else ""
            _audit_execution(c, self._keys, now, actor, action, row, was)
            if not start:
                notices.action_outcome(c, self._keys, row, int(row["updated_at_unix"]))
            return row

        row = await self._db.write(run)
        if not start:  # its outcome notice may be delivered now
            self._wake.notify(1, [DELIVERIES])
        return row

    async def queue_execution(self, approval_id: str, task_id: str, actor: str) -> Row:
        """Mark an approved, unexecuted approval queued with its executing task (run_key
        `approval:<id>`): one conditional UPDATE, once; the same task again is a no-op."""
        aid, tid, now = required("id", approval_id), required("task_id", task_id), self._now()
        p = {"id": aid, "t": tid, "rk": f"approval:{aid}", "now": now}

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE action_approvals SET execution_status = 'queued', task_id = :t,"
                " updated_at_unix = :now WHERE id = :id AND status = 'approved'"
                " AND execution_status = 'not_executed'"
                " AND EXISTS (SELECT 1 FROM tasks WHERE id = :t AND run_key = :rk)"
                " RETURNING *",
                p,
            )
            if row is None:
                return _queue_refusal(c, p, now)
            _audit_execution(c, self._keys, now, actor, "approval.queued", row)
            return row

        return await self._db.write(run)


def _audit_execution(
    c: Conn, keys: Keys, now: int, actor: str, action: str, row: Row, was: str = "not_executed"
) -> None:
    """Audit a step of an approved action's execution (queued with its task, started,
    executed); `was` is the execution status before it."""
    audit.append(
        c,
        keys,
        now,
        actor,
        action,
        "approval",
        row["id"],
        row["workspace_id"],
        before={"execution_status": was},
        after=_summary(row),
    )


def _queue_refusal(c: Conn, p: Mapping[str, Any], now: int) -> Row:
    """Why QueueExecution changed nothing; the approval itself when it is already queued
    with this very task (a retried call)."""
    old = c.one("SELECT * FROM action_approvals WHERE id = :id", p)
    if old is None:
        raise NotFound("action approval not found", id=p["id"])
    if old["execution_status"] == "queued" and old["task_id"] == p["t"]:
        return old
    status = view(old, now)["status"]
    if status != "approved":
        raise FailedPrecondition(f"action approval is {status}, not approved", status=status)
    if old["execution_status"] != "not_executed":
        raise FailedPrecondition(
            f"execution is already {old['execution_status']}",
            execution_status=old["execution_status"],
        )
    raise FailedPrecondition(
        f"task_id names no task with run_key {p['rk']}", task_id=p["t"], run_key=p["rk"]
    )


def _refusal(c: Conn, keys: Keys, aid: str, now: int) -> DomainError:
    """Why a decision was refused; a lapsed pending approval is marked expired (audited)."""
    old = c.one("SELECT * FROM action_approvals WHERE id = :id", {"id": aid})
    if old is None:
        return NotFound("action approval not found", id=aid)
    if old["status"] == "pending":  # not decided, so it lapsed
        approval_expiry.expire(c, keys, old, now)
        return FailedPrecondition("action approval expired", status="expired")
    return FailedPrecondition("action approval is not pending", status=old["status"])
