"""Tasks: creation (idempotent by run_key), lookup, listing, routing, cancel."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from store_svc import audit
from store_svc.common import (
    Clock,
    clamp,
    next_token,
    offset_of,
    or_none,
    required,
)
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.wakeups import Wakeups
from svckit.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)

LANES = {"turn": 0, "task": 1, "background": 2}
PRIORITIES = {"p1": 1, "p2": 2, "p3": 3}
_OPTIONAL = (
    "route_class",
    "priority",
    "assigned_lane",
    "source_connector",
    "source_external_id",
    "source_user_id",
    "source_text",
    "run_key",
    "retry_of_task",
    "objective_id",
    "objective_run_id",
)
_INSERT_COLS = (
    "id",
    "workspace_id",
    "context_id",
    "kind",
    "title",
    "prompt",
    "status",
    "due_at_unix",
    "attempts",
    "created_at_unix",
    "updated_at_unix",
    "lane",
    "lane_rank",
    "priority_rank",
    "max_attempts",
    "next_attempt_at_ms",
    "created_at_ms",
    "seq",
    *_OPTIONAL,
)
INSERT_SQL = (
    f"INSERT INTO tasks ({', '.join(_INSERT_COLS)}) VALUES"
    f" ({', '.join(':' + c for c in _INSERT_COLS)}) ON CONFLICT DO NOTHING"
)


def build_row(req: Mapping[str, Any], now_ms: int, keys: Keys) -> Row:
    """Validate a create request into a row (raises INVALID_ARGUMENT naming the field)."""
    row: Row = {
        k: required(k, str(req.get(k, "")))
        for k in ("workspace_id", "context_id", "title", "prompt")
    }
    for k in _OPTIONAL:
        row[k] = or_none(str(req.get(k, "")))
    for k in ("route_class", "priority", "assigned_lane"):
        row[k] = row[k].lower() if row[k] else None
    lane = str(req.get("lane", "")).strip().lower() or "task"
    if lane not in LANES:
        raise InvalidArgument("lane must be turn, task or background", field="lane")
    if row["priority"] and row["priority"] not in PRIORITIES:
        raise InvalidArgument("priority must be p1, p2 or p3", field="priority")
    max_attempts = int(req.get("max_attempts", 0)) or 3
    if not 1 <= max_attempts <= 100:
        raise InvalidArgument("max_attempts must be between 1 and 100", field="max_attempts")
    due = int(req.get("due_at_unix", 0))
    row.update(
        id=str(req.get("id", "")).strip() or keys.new_id(),
        kind=str(req.get("kind", "")).strip() or "general",
        status="queued",
        due_at_unix=due if due > 0 else None,
        attempts=0,
        created_at_unix=now_ms // 1000,
        updated_at_unix=now_ms // 1000,
        lane=lane,
        lane_rank=LANES[lane],
        priority_rank=PRIORITIES.get(row["priority"] or "", 2),
        max_attempts=max_attempts,
        created_at_ms=now_ms,
        seq=keys.next_seq(),
        next_attempt_at_ms=max(int(req.get("not_before_ms", 0)), 0) or now_ms,
    )
    return row


def insert(conn: Conn, row: Row) -> Row:
    if conn.run(INSERT_SQL, row) == 1:
        return row
    if row["run_key"]:
        hit = conn.one("SELECT id FROM tasks WHERE run_key = :k", {"k": row["run_key"]})
        if hit:
            raise AlreadyExists("task run already exists", existing_id=hit["id"])
    raise AlreadyExists("task id already exists", existing_id=row["id"])


def get(conn: Conn, task_id: str) -> Row:
    row = conn.one("SELECT * FROM tasks WHERE id = :id", {"id": task_id})
    if row is None:
        raise NotFound("task not found", id=task_id)
    return row


class Tasks:
    def __init__(self, db: Database, clock: Clock, keys: Keys, wake: Wakeups | None = None) -> None:
        self._db, self._clock, self._keys, self._wake = db, clock, keys, wake or Wakeups()

    async def create(self, req: Mapping[str, Any]) -> Row:
        row = build_row(req, self._clock.now_ms(), self._keys)
        out = await self._db.write(lambda c: insert(c, row))
        self._wake.notify(1, [row["lane_rank"]])
        return out

    async def create_many(
        self, reqs: Sequence[Mapping[str, Any]]
    ) -> builtins.list[Row | DomainError]:
        """Create several tasks in one transaction; each is created or refused (invalid,
        duplicate) on its own. Returns the row or the refusal, in order."""
        if not reqs:
            raise InvalidArgument("tasks must not be empty", field="tasks")
        if len(reqs) > 100:
            raise InvalidArgument("at most 100 tasks per call", field="tasks")
        now = self._clock.now_ms()
        built: builtins.list[Row | DomainError] = []
        for req in reqs:
            try:
                built.append(build_row(req, now, self._keys))
            except InvalidArgument as exc:
                built.append(exc)

        def run(c: Conn) -> builtins.list[Row | DomainError]:
            out: builtins.list[Row | DomainError] = []
            for row in built:
                if isinstance(row, DomainError):
                    out.append(row)
                    continue
                try:
                    out.append(insert(c, row))
                except AlreadyExists as exc:
                    out.append(exc)
            return out

        results = await self._db.write(run)
        made = [r for r in results if not isinstance(r, DomainError)]
        self._wake.notify(len(made), {r["lane_rank"] for r in made})
        return results

    async def get(self, task_id: str) -> Row:
        tid = required("id", task_id)
        return await self._db.read(lambda c: get(c, tid))

    async def list(
        self, filters: Mapping[str, str], limit: int, page_token: str
    ) -> tuple[list[Row], str]:
        # Offsets, unlike the other listings' keysets: the order is by last update, a key
        # that moves as tasks run, so no token could keep a place in it anyway.
        n, off = clamp(limit, 100, 500), offset_of(page_token)
        params: dict[str, Any] = {
            k: filters[k]
            for k in ("workspace_id", "context_id", "kind", "status")
            if filters.get(k)
        }
        where = " AND ".join(f"{k} = :{k}" for k in params)
        params.update(limit=n, off=off)
        sql = (
            f"SELECT * FROM tasks {'WHERE ' + where if where else ''}"
            " ORDER BY updated_at_unix DESC, seq DESC, id LIMIT :limit OFFSET :off"
        )
        rows = await self._db.read(lambda c: c.all(sql, params))
        return rows, next_token(off, n, len(rows))

    async def update_routing(self, req: Mapping[str, Any]) -> Row:
        tid = required("id", str(req.get("id", "")))
        prio = str(req.get("priority", "")).strip().lower() or None
        if prio and prio not in PRIORITIES:
            raise InvalidArgument("priority must be p1, p2 or p3", field="priority")
        due = int(req.get("due_at_unix", 0))
        params = {
            "id": tid,
            "route_class": str(req.get("route_class", "")).strip().lower() or None,
            "priority": prio,
            "rank": PRIORITIES.get(prio or "", 2),
            "due": due if due > 0 else None,
            "now": self._clock.now_ms() // 1000,
            "lane": str(req.get("assigned_lane", "")).strip().lower() or None,
        }

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE tasks SET route_class = :route_class, priority = :priority,"
                " priority_rank = :rank, due_at_unix = :due, assigned_lane = :lane,"
                " updated_at_unix = :now WHERE id = :id RETURNING *",
                params,
            )
            if row is None:
                raise NotFound("task not found", id=tid)
            return row

        return await self._db.write(run)

    async def cancel(self, task_id: str, actor: str, reason: str = "") -> Row:
        """A queued task is canceled at once. A running one is marked cancel-requested and
        stays running: its worker learns it from its next heartbeat, stops, and releases it
        (ReleaseTasks), which records canceled. Asking again for a running task is a no-op."""
        tid, now = required("id", task_id), self._clock.now_ms() // 1000
        why = reason.strip() or None

        def run(c: Conn) -> Row:
            row = c.one(
                "UPDATE tasks SET status = 'canceled', finished_at_unix = :now,"
                " updated_at_unix = :now, lease_expires_at_ms = 0, cancel_reason = :why"
                " WHERE id = :id AND status = 'queued' RETURNING *",
                {"id": tid, "now": now, "why": why},
            )
            event = "task.canceled"
            if row is None:
                row = c.one(
                    "UPDATE tasks SET cancel_requested_at_unix = :now, updated_at_unix = :now,"
                    " cancel_reason = COALESCE(:why, cancel_reason) WHERE id = :id"
                    " AND status = 'running' AND cancel_requested_at_unix IS NULL RETURNING *",
                    {"id": tid, "now": now, "why": why},
                )
                event = "task.cancel_requested"
            if row is None:
                current = get(c, tid)
                if current["status"] == "running":
                    return current  # already asked
                status = current["status"]
                raise FailedPrecondition(
                    f"task is {status}, only queued or running tasks can be canceled", status=status
                )
            audit.append(
                c,
                self._keys,
                now,
                actor,
                event,
                "task",
                tid,
                row["workspace_id"],
                after={"status": row["status"], "cancel_reason": why},
            )
            return row

        return await self._db.write(run)
