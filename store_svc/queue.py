"""The durable queue: leased claims with fencing tokens, heartbeats, completion, retries
with exponential backoff and jitter, dead letters and replay. Every transition is one
conditional UPDATE; a refused one is diagnosed afterwards (NOT_FOUND, ABORTED for a stale
token, FAILED_PRECONDITION for a wrong state).

For callers (the orchestrator): an idle worker long-polls (`wait_ms`) rather than polling;
finished tasks can be acknowledged together (CompleteTasks) and concurrent enqueues sent
together (CreateTasks) — the RPC, not the database, is what each task costs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.tasks import get
from store_svc.wakeups import RECHECK_S, Wakeups
from svckit.errors import Aborted, DomainError, FailedPrecondition, InvalidArgument, NotFound


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (1-based): base * 2^(n-1), capped, times a jitter in [0.5, 1]."""

    base_ms: int = 1000
    cap_ms: int = 300_000
    # Its own generator, not the `random` module's process-wide one.
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay_case(self) -> str:
        """A CASE over `attempts` with one jittered delay per attempt count (SQL literal)."""
        parts = [f"WHEN {n} THEN {self._jittered(n)}" for n in range(1, 21)]
        return f"CASE attempts {' '.join(parts)} ELSE {self._jittered(21)} END"

    def _jittered(self, n: int) -> int:
        return int(min(self.cap_ms, self.base_ms * 2 ** (n - 1)) * self.rng.uniform(0.5, 1.0))


def _dead_letter(c: Conn, keys: Keys, row: Row, now_s: int) -> Row:
    dl: Row = {
        "id": keys.new_id("dl_"),
        "subject_kind": "task",
        "subject_id": row["id"],
        "workspace_id": row["workspace_id"],
        "last_error": row["error_message"] or "",
        "attempts": row["attempts"],
        "created_at_unix": now_s,
        "replayed_at_unix": None,
        "seq": keys.next_seq(),
    }
    c.run(
        "INSERT INTO dead_letters (id, subject_kind, subject_id, workspace_id, last_error,"
        " attempts, created_at_unix, seq) VALUES (:id, :subject_kind, :subject_id,"
        " :workspace_id, :last_error, :attempts, :created_at_unix, :seq)",
        dl,
    )
    return dl


MAX_WAIT_MS = 30_000
# Expired leases are swept by a claim at most this often, not by every claim: a dead
# worker's task is reclaimed at most this much later than its lease says.
SWEEP_EVERY_MS = 200
_COMPLETE = (
    "UPDATE tasks SET status = 'succeeded', finished_at_unix = :now,"
    " updated_at_unix = :now, result_summary = :summary, result_path = :path,"
    " error_message = NULL, lease_expires_at_ms = 0"
    " WHERE id = :id AND status = 'running' AND lease_token = :t"
)


def _refused(c: Conn, task_id: str, token: int) -> DomainError:
    row = get(c, task_id)
    if row["lease_token"] != token:
        return Aborted(
            "stale fencing token: the lease was lost",
            id=task_id,
            current_token=str(row["lease_token"]),
        )
    return FailedPrecondition(f"task is {row['status']}, not running", status=row["status"])


class Queue:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        keys: Keys,
        backoff: Backoff | None = None,
        wake: Wakeups | None = None,
    ) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._backoff = backoff or Backoff()
        self._wake = wake or Wakeups()
        self._next_sweep_ms = 0

    async def claim(
        self,
        worker_id: str,
        max_tasks: int,
        lease_ms: int,
        lanes: Sequence[str] = (),
        kinds: Sequence[str] = (),
        wait_ms: int = 0,
    ) -> list[Row]:
        """Lease up to `max_tasks`; with `wait_ms`, wait that long for work to appear."""
        worker = required("worker_id", worker_id)
        if max_tasks < 0 or lease_ms < 0 or wait_ms < 0:
            field = "max_tasks" if max_tasks < 0 else "lease_ms" if lease_ms < 0 else "wait_ms"
            raise InvalidArgument(f"{field} must not be negative", field=field)
        params: dict[str, Any] = {"w": worker, "n": min(max_tasks or 1, 100)}
        extra = ""
        for col, values in (("lane", lanes), ("kind", kinds)):
            if values:
                names = [f"{col}{i}" for i in range(len(values))]
                params.update(zip(names, values, strict=True))
                extra += f" AND {col} IN ({', '.join(':' + n for n in names)})"
        backoff, keys, lease = self._backoff, self._keys, lease_ms or 30_000

        def run(c: Conn) -> list[Row]:
            now = self._clock.now_ms()
            if now >= self._next_sweep_ms:  # a racing second sweep is harmless
                self._next_sweep_ms = now + SWEEP_EVERY_MS
                _expire_leases(c, keys, now, backoff)
            p = {**params, "now": now, "now_s": now // 1000, "exp": now + lease}
            rows = c.all(
                "UPDATE tasks SET status = 'running', worker_id = :w, attempts = attempts + 1,"
                " lease_token = lease_token + 1, lease_expires_at_ms = :exp,"
                " started_at_unix = :now_s, updated_at_unix = :now_s, finished_at_unix = NULL"
                " WHERE id IN (SELECT id FROM tasks WHERE status = 'queued'"
                f" AND next_attempt_at_ms <= :now{extra}"
                " ORDER BY lane_rank, priority_rank, created_at_ms"
                f" LIMIT :n {c.skip_locked}) RETURNING *",
                p,
            )
            rows.sort(key=lambda r: (r["lane_rank"], r["priority_rank"], r["created_at_ms"]))
            return rows

        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait_ms, MAX_WAIT_MS) / 1000
        while True:
            seen = self._wake.generation
            rows = await self._db.write(run)
            left = deadline - loop.time()
            if rows or left <= 0:
                return rows
            if self._wake.generation == seen:  # nothing arrived while we looked
                await self._wake.wait(min(left, RECHECK_S))

    async def heartbeat(self, task_id: str, token: int, lease_ms: int) -> int:
        tid = required("id", task_id)
        exp = self._clock.now_ms() + (lease_ms or 30_000)

        def run(c: Conn) -> int:
            if (
                c.run(
                    "UPDATE tasks SET lease_expires_at_ms = :exp WHERE id = :id"
                    " AND status = 'running' AND lease_token = :t",
                    {"exp": exp, "id": tid, "t": token},
                )
                != 1
            ):
                raise _refused(c, tid, token)
            return exp

        return await self._db.write(run)

    async def complete(self, task_id: str, token: int, summary: str, path: str) -> Row:
        tid = required("id", task_id)
        params = {
            "id": tid,
            "t": token,
            "now": self._clock.now_ms() // 1000,
            "summary": summary or None,
            "path": path or None,
        }

        def run(c: Conn) -> Row:
            row = c.one(_COMPLETE + " RETURNING *", params)
            if row is None:
                raise _refused(c, tid, token)
            return row

        return await self._db.write(run)

    async def complete_many(
        self, completions: Sequence[tuple[str, int, str, str]]
    ) -> list[tuple[str, DomainError | None]]:
        """Complete several leased tasks in one transaction; each is applied or refused on
        its own (a stale token refuses that task only). Returns (id, refusal or None)."""
        if not completions:
            raise InvalidArgument("completions must not be empty", field="completions")
        if len(completions) > 100:
            raise InvalidArgument("at most 100 completions per call", field="completions")
        now = self._clock.now_ms() // 1000
        params: list[dict[str, Any]] = [
            {"id": required("id", tid), "t": token, "now": now, "summary": summary or None,
             "path": path or None}
            for tid, token, summary, path in completions
        ]  # fmt: skip

        def run(c: Conn) -> list[tuple[str, DomainError | None]]:
            out: list[tuple[str, DomainError | None]] = []
            for p in params:
                tid: str = p["id"]
                if c.run(_COMPLETE, p) == 1:
                    out.append((tid, None))
                    continue
                try:
                    refusal = _refused(c, tid, p["t"])
                except NotFound as exc:
                    refusal = exc
                out.append((tid, refusal))
            return out

        return await self._db.write(run)

    async def fail(
        self, task_id: str, token: int, error: str, retryable: bool
    ) -> tuple[Row, Row | None]:
        tid, err = required("id", task_id), required("error_message", error)
        now = self._clock.now_ms()
        params = {"id": tid, "t": token, "now": now, "now_s": now // 1000, "err": err}
        status = (
            "CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'dead' END"
            if retryable
            else "'failed'"
        )
        sql = (
            f"UPDATE tasks SET status = {status}, error_message = :err,"
            f" next_attempt_at_ms = :now + {self._backoff.delay_case()},"
            " lease_expires_at_ms = 0, updated_at_unix = :now_s,"
            " finished_at_unix = CASE WHEN attempts < max_attempts AND"
            f" {'1 = 1' if retryable else '1 = 0'} THEN NULL ELSE :now_s END"
            " WHERE id = :id AND status = 'running' AND lease_token = :t RETURNING *"
        )

        def run(c: Conn) -> tuple[Row, Row | None]:
            row = c.one(sql, params)
            if row is None:
                raise _refused(c, tid, token)
            dl = _dead_letter(c, self._keys, row, now // 1000) if row["status"] == "dead" else None
            return row, dl

        return await self._db.write(run)


def _expire_leases(c: Conn, keys: Keys, now: int, backoff: Backoff) -> None:
    """Running tasks whose lease ran out go back to the queue (or die after their last try)."""
    rows = c.all(
        "UPDATE tasks SET status = CASE WHEN attempts < max_attempts THEN 'queued'"
        " ELSE 'dead' END, error_message = 'lease expired', lease_expires_at_ms = 0,"
        " next_attempt_at_ms = :now WHERE status = 'running' AND lease_expires_at_ms < :now"
        " RETURNING *",
        {"now": now},
    )
    for row in rows:
        if row["status"] == "dead":
            _dead_letter(c, keys, row, now // 1000)
