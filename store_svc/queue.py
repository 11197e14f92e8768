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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store_svc import notices
from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.tasks import LANES, get
from store_svc.wakeups import DELIVERIES, RECHECK_S, Wakeups
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
    " result_text = :text, error_message = NULL, lease_expires_at_ms = 0"
    " WHERE id = :id AND status = 'running' AND lease_token = :t"
)
# One turn per conversation: a context's turn is claimable only when none of its turns is
# running and no older turn of it is still queued (later messages wait, in order; "older"
# by creation order, `seq`, which unlike created_at_ms never ties). On
# PostgreSQL an older turn locked by a concurrent claim is still queued in this snapshot,
# so a newer one is not handed out beside it.
_ONE_TURN = (
    " AND (kind <> 'turn' OR NOT EXISTS (SELECT 1 FROM tasks o WHERE"
    " o.context_id = tasks.context_id AND o.kind = 'turn' AND (o.status = 'running'"
    " OR (o.status = 'queued' AND o.seq < tasks.seq))))"
)
# A released lease goes back to the queue without spending its attempt, or ends the task
# when a cancel was asked for it.
_RELEASE = (
    "UPDATE tasks SET status = CASE WHEN cancel_requested_at_unix IS NULL THEN 'queued'"
    " ELSE 'canceled' END,"
    " attempts = CASE WHEN cancel_requested_at_unix IS NULL THEN attempts - 1 ELSE attempts END,"
    " finished_at_unix = CASE WHEN cancel_requested_at_unix IS NULL THEN NULL ELSE :now_s END,"
    " lease_expires_at_ms = 0, next_attempt_at_ms = :now, updated_at_unix = :now_s"
    " WHERE id = :id AND status = 'running' AND lease_token = :t RETURNING status"
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
        recheck_s: float = RECHECK_S,
    ) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._backoff = backoff or Backoff()
        self._recheck_s = recheck_s
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
        # lanes by rank: the claim index leads with (status, lane_rank), so a claim for one
        # lane seeks to it instead of scanning every queued task of the lanes before it
        ranks = [LANES[lane] for lane in lanes if lane in LANES] or ([-1] if lanes else [])
        for col, values in (("lane_rank", ranks), ("kind", kinds)):
            if values:
                names = [f"{col}{i}" for i in range(len(values))]
                params.update(zip(names, values, strict=True))
                extra += f" AND {col} IN ({', '.join(':' + n for n in names)})"
        backoff, keys, lease = self._backoff, self._keys, lease_ms or 30_000
        watched = frozenset(ranks) if lanes else None

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
                f" AND next_attempt_at_ms <= :now{extra}{_ONE_TURN}"
                " ORDER BY lane_rank, priority_rank, created_at_ms"
                f" LIMIT :n {c.skip_locked}) RETURNING *",
                p,
            )
            rows.sort(key=lambda r: (r["lane_rank"], r["priority_rank"], r["created_at_ms"]))
            return rows

        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait_ms, MAX_WAIT_MS) / 1000
        while True:
            seen = self._wake.generation(watched)
            rows = await self._leased(run)
            left = deadline - loop.time()
            if rows or left <= 0:
                return rows
            if self._wake.generation(watched) == seen:  # nothing arrived while we looked
                await self._wake.wait(min(left, self._recheck_s), watched)

    async def _leased(self, run: Callable[[Conn], list[Row]]) -> list[Row]:
        """Run a claim; when the caller goes away while it commits (a worker shutting down
        cancels its long poll), give its leases straight back instead of leaving them to
        nobody until they expire."""
        write = asyncio.ensure_future(self._db.write(run))
        try:
            return await asyncio.shield(write)
        except asyncio.CancelledError:
            rows = await write
            if rows:
                await self.release([(r["id"], r["lease_token"]) for r in rows])
            raise

    async def heartbeat(self, task_id: str, token: int, lease_ms: int) -> tuple[int, bool]:
        """Extend the lease: (new expiry, whether a cancel of the task was asked)."""
        tid = required("id", task_id)
        exp = self._clock.now_ms() + (lease_ms or 30_000)

        def run(c: Conn) -> tuple[int, bool]:
            row = c.one(
                "UPDATE tasks SET lease_expires_at_ms = :exp WHERE id = :id"
                " AND status = 'running' AND lease_token = :t RETURNING cancel_requested_at_unix",
                {"exp": exp, "id": tid, "t": token},
            )
            if row is None:
                raise _refused(c, tid, token)
            return exp, row["cancel_requested_at_unix"] is not None

        return await self._db.write(run)

    async def complete(
        self, task_id: str, token: int, summary: str, path: str, text: str = ""
    ) -> Row:
        tid = required("id", task_id)
        params = {
            "id": tid,
            "t": token,
            "now": self._clock.now_ms() // 1000,
            "summary": summary or None,
            "path": path or None,
            "text": text or None,
        }

        written = 0

        def run(c: Conn) -> Row:
            nonlocal written
            row = c.one(_COMPLETE + " RETURNING *", params)
            if row is None:
                raise _refused(c, tid, token)
            written = notices.task_finished(c, self._keys, row, int(row["updated_at_unix"]))
            return row

        row = await self._db.write(run)
        if row["kind"] == "turn":
            self._wake.notify(1, [LANES["turn"]])  # the context's next turn may be claimed now
        self._wake.notify(written, [DELIVERIES])  # its notices may be delivered now
        return row

    async def complete_many(
        self, completions: Sequence[tuple[str, int, str, str, str]]
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
             "path": path or None, "text": text or None}
            for tid, token, summary, path, text in completions
        ]  # fmt: skip
        turns = written = 0

        def run(c: Conn) -> list[tuple[str, DomainError | None]]:
            nonlocal turns, written
            out: list[tuple[str, DomainError | None]] = []
            for p in params:
                tid: str = p["id"]
                done = c.one(_COMPLETE + " RETURNING *", p)
                if done is not None:
                    turns += done["kind"] == "turn"
                    written += notices.task_finished(c, self._keys, done, now)
                    out.append((tid, None))
                    continue
                try:
                    refusal = _refused(c, tid, p["t"])
                except NotFound as exc:
                    refusal = exc
                out.append((tid, refusal))
            return out

        results = await self._db.write(run)
        if turns:
            self._wake.notify(turns, [LANES["turn"]])  # those contexts' next turns may be claimed
        self._wake.notify(written, [DELIVERIES])
        return results

    async def release(
        self, leases: Sequence[tuple[str, int]]
    ) -> list[tuple[str, str | DomainError]]:
        """Give leased tasks back unfinished, each on its own: (id, new status or refusal).
        The status is queued (the attempt is not spent) or canceled (a cancel was asked)."""
        if not leases:
            raise InvalidArgument("releases must not be empty", field="releases")
        if len(leases) > 100:
            raise InvalidArgument("at most 100 releases per call", field="releases")
        now = self._clock.now_ms()
        checked = [(required("id", tid), token) for tid, token in leases]

        def run(c: Conn) -> list[tuple[str, str | DomainError]]:
            out: list[tuple[str, str | DomainError]] = []
            for tid, token in checked:
                row = c.one(_RELEASE, {"id": tid, "t": token, "now": now, "now_s": now // 1000})
                if row is not None:
                    out.append((tid, str(row["status"])))
                    continue
                try:
                    out.append((tid, _refused(c, tid, token)))
                except NotFound as exc:
                    out.append((tid, exc))
            return out

        results = await self._db.write(run)
        self._wake.notify(sum(status == "queued" for _, status in results))
        return results

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

        written = 0

        def run(c: Conn) -> tuple[Row, Row | None]:
            nonlocal written
            row = c.one(sql, params)
            if row is None:
                raise _refused(c, tid, token)
            dl = _dead_letter(c, self._keys, row, now // 1000) if row["status"] == "dead" else None
            written = notices.task_finished(c, self._keys, row, now // 1000)
            return row, dl

        done = await self._db.write(run)
        self._wake.notify(written, [DELIVERIES])
        return done


def _expire_leases(c: Conn, keys: Keys, now: int, backoff: Backoff) -> None:
    """Running tasks whose lease ran out go back to the queue (or die after their last try);
    one whose cancel was asked is canceled: its worker is gone, so nothing runs it now."""
    rows = c.all(
        "UPDATE tasks SET status = CASE WHEN cancel_requested_at_unix IS NOT NULL THEN"
        " 'canceled' WHEN attempts < max_attempts THEN 'queued' ELSE 'dead' END,"
        " finished_at_unix = CASE WHEN cancel_requested_at_unix IS NOT NULL THEN :now_s"
        " ELSE finished_at_unix END,"
        " error_message = 'lease expired', lease_expires_at_ms = 0, updated_at_unix = :now_s,"
        " next_attempt_at_ms = :now WHERE status = 'running' AND lease_expires_at_ms < :now"
        " RETURNING *",
        {"now": now, "now_s": now // 1000},
    )
    for row in rows:
        if row["status"] == "dead":
            _dead_letter(c, keys, row, now // 1000)
            notices.task_finished(c, keys, row, now // 1000)
