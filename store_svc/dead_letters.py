"""Dead letters: listing, replay and queue statistics."""

from __future__ import annotations

from typing import Any

from store_svc import audit
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.tasks import LANES
from svckit.errors import FailedPrecondition, NotFound


class DeadLetters:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

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
        """Queue a dead task again (one more attempt): (the task, the dead letter now marked
        replayed). NOT_FOUND, or FAILED_PRECONDITION when already replayed or no longer dead."""
        dl_id, now_ms = required("id", dead_letter_id), self._clock.now_ms()
        now = now_ms // 1000

        def run(c: Conn) -> tuple[Row, Row]:
            dl = c.one(
                "UPDATE dead_letters SET replayed_at_unix = :now WHERE id = :id"
                " AND replayed_at_unix IS NULL RETURNING *",
                {"id": dl_id, "now": now},
            )
            if dl is None:
                if c.one("SELECT id FROM dead_letters WHERE id = :id", {"id": dl_id}) is None:
                    raise NotFound("dead letter not found", id=dl_id)
                raise FailedPrecondition("dead letter was already replayed", id=dl_id)
            task = c.one(
                "UPDATE tasks SET status = 'queued', max_attempts = attempts + 1,"
                " next_attempt_at_ms = :now_ms, finished_at_unix = NULL, updated_at_unix = :now"
                " WHERE id = :id AND status = 'dead' RETURNING *",
                {"id": dl["subject_id"], "now": now, "now_ms": now_ms},
            )
            if task is None:
                raise FailedPrecondition("task is no longer dead", id=dl["subject_id"])
            audit.append(
                c,
                self._keys,
                now,
                actor,
                "task.replayed",
                "task",
                task["id"],
                task["workspace_id"],
                {"dead_letter_id": dl_id},
            )
            return task, dl

        return await self._db.write(run)

    async def stats(self, workspace_id: str) -> dict[str, Any]:
        now = self._clock.now_ms()
        ws = " AND workspace_id = :ws" if workspace_id else ""
        params = {"ws": workspace_id}

        def run(c: Conn) -> dict[str, Any]:
            counts = c.all(
                "SELECT lane, status, COUNT(*) AS n, MIN(created_at_ms) AS oldest,"
                " MIN(started_at_unix) AS started FROM tasks WHERE status IN"
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
                    "oldest_lease_age_ms": 0}  # fmt: skip

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
        return {
            "lanes": list(lanes.values()),
            "oldest_queued_age_ms": oldest_q,
            "oldest_lease_age_ms": oldest_l,
            "dead": raw["dead"],
        }
