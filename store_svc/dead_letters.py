"""Dead letters: listing, replay and queue statistics."""

from __future__ import annotations

from typing import Any

from store_svc import audit
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.tasks import LANES, build_row, insert
from store_svc.wakeups import Wakeups
from svckit.errors import FailedPrecondition, NotFound

# QueueStats: a running lease with less than this left is near expiry, unless asked otherwise.
NEAR_EXPIRY_MS = 10_000

# what a replay copies from the dead task (as RetryTask does)
_COPIED = (
    "workspace_id", "context_id", "kind", "title", "prompt", "lane", "route_class",
    "priority", "due_at_unix", "assigned_lane", "source_connector", "source_external_id",
    "source_user_id", "source_text",
)  # fmt: skip


class DeadLetters:
    def __init__(self, db: Database, clock: Clock, keys: Keys, wake: Wakeups | None = None) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._wake = wake or Wakeups()

    async def list(
        self,
        workspace_id: str,
        include_replayed: bool,
        page_size: int,
        page_token: str,
        subject_kind: str = "",
    ) -> tuple[list[Row], str]:
        limit = clamp(page_size, 100, 500)
        where: list[str] = []
        params: dict[str, Any] = {}
        if workspace_id:
            where.append("workspace_id = :ws")
            params["ws"] = workspace_id
        if not include_replayed:
            where.append("replayed_at_unix IS NULL")
        if subject_kind:
            where.append("subject_kind = :kind")
            params["kind"] = subject_kind
        select = "SELECT * FROM dead_letters"
        return await key_page(self._db, select, where, params, page_token, limit, descending=True)

    async def replay(self, dead_letter_id: str, actor: str) -> tuple[Row, Row]:
        """Replay a dead task as a new attempt: a new task copying it (`retry_of_task` = its
        id; run_key and objective links stay with the original), which stays dead with its
        history. Returns (the new task, the dead letter now replayed). NOT_FOUND, or
        FAILED_PRECONDITION when already replayed or the task is no longer dead."""
        dl_id, now_ms = required("id", dead_letter_id), self._clock.now_ms()
        now, new_id = now_ms // 1000, self._keys.new_id()

        def run(c: Conn) -> tuple[Row, Row]:
            dl = c.one(
                "UPDATE dead_letters SET replayed_at_unix = :now, replayed_as = :new"
                " WHERE id = :id AND replayed_at_unix IS NULL RETURNING *",
                {"id": dl_id, "now": now, "new": new_id},
            )
            if dl is None:
                if c.one("SELECT id FROM dead_letters WHERE id = :id", {"id": dl_id}) is None:
                    raise NotFound("dead letter not found", id=dl_id)
                raise FailedPrecondition("dead letter was already replayed", id=dl_id)
            old = c.one("SELECT * FROM tasks WHERE id = :id", {"id": dl["subject_id"]})
            if old is None or old["status"] != "dead":
                raise FailedPrecondition("task is no longer dead", id=dl["subject_id"])
            req = {k: old[k] for k in _COPIED if old.get(k) is not None}
            req.update(id=new_id, retry_of_task=old["id"], max_attempts=old["max_attempts"])
            task = insert(c, build_row(req, now_ms, self._keys))
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "task.replayed",
                "task",
                old["id"],
                old["workspace_id"],
                {"dead_letter_id": dl_id, "replayed_as": new_id},
            )
            return task, dl

        task, dl = await self._db.write(run)
        self._wake.notify(1, [task["lane_rank"]])
        return task, dl

    async def stats(self, workspace_id: str, near_expiry_ms: int = 0) -> dict[str, Any]:
        """Per lane: queued and running counts, oldest queued and lease ages, and the
        running leases that run out within `near_expiry_ms` (0: 10 s) or already have."""
        now = self._clock.now_ms()
        ws = " AND workspace_id = :ws" if workspace_id else ""
        near = now + (near_expiry_ms if near_expiry_ms > 0 else NEAR_EXPIRY_MS)
        params = {"ws": workspace_id, "now": now, "near": near}

        def run(c: Conn) -> dict[str, Any]:
            counts = c.all(
                "SELECT lane, status, COUNT(*) AS n, MIN(created_at_ms) AS oldest,"
                " MIN(started_at_unix) AS started,"
                " SUM(CASE WHEN lease_expires_at_ms < :now THEN 1 ELSE 0 END) AS expired,"
                " SUM(CASE WHEN lease_expires_at_ms >= :now AND lease_expires_at_ms < :near"
                " THEN 1 ELSE 0 END) AS near FROM tasks WHERE status IN"
                f" ('queued', 'running'){ws} GROUP BY lane, status",
                params,
            )
            dead = c.one(
                f"SELECT COUNT(*) AS n FROM dead_letters WHERE replayed_at_unix IS NULL{ws}", params
            )
            return {"counts": counts, "dead": int(dead["n"]) if dead else 0}

        raw = await self._db.read(run)

        def empty(lane: str) -> dict[str, Any]:
            return {"lane": lane, "queued": 0, "running": 0, "oldest_queued_age_ms": 0,
                    "oldest_lease_age_ms": 0, "leases_near_expiry": 0,
                    "leases_expired": 0}  # fmt: skip

        lanes = {lane: empty(lane) for lane in LANES}
        oldest_q = oldest_l = 0
        for r in raw["counts"]:
            lane = lanes.setdefault(r["lane"], empty(r["lane"]))
            lane[r["status"]] = int(r["n"])
            if r["status"] == "queued" and r["oldest"]:
                lane["oldest_queued_age_ms"] = max(0, now - int(r["oldest"]))
                oldest_q = max(oldest_q, lane["oldest_queued_age_ms"])
            if r["status"] == "running" and r["started"]:
                lane["oldest_lease_age_ms"] = max(0, now - int(r["started"]) * 1000)
                oldest_l = max(oldest_l, lane["oldest_lease_age_ms"])
            if r["status"] == "running":
                lane["leases_near_expiry"] = int(r["near"] or 0)
                lane["leases_expired"] = int(r["expired"] or 0)
        return {
            "lanes": list(lanes.values()),
            "oldest_queued_age_ms": oldest_q,
            "oldest_lease_age_ms": oldest_l,
            "dead": raw["dead"],
        }
