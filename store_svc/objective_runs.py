"""Objective runs: history, and the statistics a finished run feeds (counts, streaks, last
five errors, durations, auto-pause). A run is counted once: finishing is a conditional
UPDATE of a queued or running run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from store_svc import audit, notices
from store_svc.common import Clock, clamp, key_page, required
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.objective_overlap import under_way
from store_svc.objectives import fetch, view
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound

OUTCOMES = ("queued", "running", "succeeded", "failed", "skipped", "missed")
OPEN = ("queued", "running")
# a run reserved for a firing whose task is not enqueued yet (objective_overlap)
RESERVED = "outcome = 'queued' AND task_id IS NULL AND run_key IS NOT NULL"
FINAL = ("succeeded", "failed")
RUN_TRIGGERS = ("schedule", "catch_up", "at", "event", "manual")
RECENT_ERRORS = 5

_COUNT = (
    "UPDATE objectives SET run_count = run_count + 1,"
    " total_run_duration_ms = total_run_duration_ms + :dur,"
    " success_count = success_count + :s, failure_count = failure_count + 1 - :s,"
    " consecutive_failures = CASE WHEN :s = 1 THEN 0 ELSE consecutive_failures + 1 END,"
    " consecutive_successes = CASE WHEN :s = 1 THEN consecutive_successes + 1 ELSE 0 END,"
    " last_success_unix = CASE WHEN :s = 1 THEN :at ELSE last_success_unix END,"
    " last_failure_unix = CASE WHEN :s = 1 THEN last_failure_unix ELSE :at END,"
    " auto_paused_reason = CASE WHEN :s = 1 THEN NULL ELSE auto_paused_reason END,"
    " last_error = :err, last_run_unix = :at, updated_at_unix = :at"
    " WHERE id = :id RETURNING *"
)


def _outcome(value: str, allowed: tuple[str, ...]) -> str:
    text = value.strip().lower()
    if text not in allowed:
        raise InvalidArgument(f"outcome must be one of {', '.join(allowed)}", field="outcome")
    return text


def _count(c: Conn, oid: str, outcome: str, error: str | None, dur: int, at: int) -> Row:
    """Add one finished run to the statistics (the UPDATE locks the row for what follows)."""
    ok = outcome == "succeeded"
    p = {"id": oid, "s": int(ok), "dur": max(dur, 0), "at": at, "err": None if ok else error}
    row = c.one(_COUNT, p)
    if row is None:
        raise NotFound("objective not found", id=oid)
    if not ok:
        recent = json.loads(row["recent_errors_json"] or "[]")
        recent = [*recent, {"at_unix": at, "error": error or "run failed"}][-RECENT_ERRORS:]
        row = _set(c, oid, {"recent_errors_json": json.dumps(recent)})
    return row


def _fence(c: Conn, req: Mapping[str, Any]) -> None:
    """Refuse a write made under a leader lease that has since passed to another holder (a
    deposed scheduler): its fencing token is no longer the lease's."""
    name = str(req.get("lease_name") or "").strip()
    if not name:
        return
    token = int(req.get("fencing_token") or 0)
    row = c.one("SELECT token FROM leader_leases WHERE name = :n", {"n": name})
    if row is None or int(row["token"]) != token:
        current = int(row["token"]) if row else 0
        raise FailedPrecondition(
            f"stale fencing token {token} for lease {name}: it is now {current}",
            lease_name=name,
            fencing_token=str(current),
        )


def _first(c: Conn, task_id: str | None, run_key: str | None) -> Row | None:
    """The run recorded before for this task, or else for this firing's run key."""
    if task_id is not None:
        first = c.one("SELECT * FROM objective_runs WHERE task_id = :t", {"t": task_id})
        if first is not None:
            return first
    if run_key is None:
        return None
    return c.one("SELECT * FROM objective_runs WHERE run_key = :k", {"k": run_key})


def _set(c: Conn, oid: str, values: Mapping[str, Any]) -> Row:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    row = c.one(f"UPDATE objectives SET {sets} WHERE id = :id RETURNING *", {**values, "id": oid})
    assert row is not None
    return row


def _after_run(
    c: Conn, keys: Keys, row: Row, changes: dict[str, Any], pause_after: int, actor: str, at: int
) -> Row:
    """Store next run / explicit active flag, and pause after too many failures."""
    if pause_after > 0 and row["consecutive_failures"] >= pause_after and row["active"]:
        n = row["consecutive_failures"]
        changes.update(
            active=False,
            next_run_unix=None,
            auto_paused_reason=f"auto-paused after {n} consecutive failures",
        )
    if not changes:
        return row
    before = {k: row[k] for k in changes}
    new = _set(c, row["id"], {**changes, "updated_at_unix": at})
    if "active" in changes and bool(changes["active"]) != bool(row["active"]):
        action = "objective.auto_paused" if not changes["active"] else "objective.resumed"
        after = {k: new[k] for k in changes}
        audit.append(
            c, keys, at, actor, action, "objective", row["id"], row["workspace_id"], before, after
        )
        if not changes["active"] and new["auto_paused_reason"]:
            notices.objective_paused(c, keys, new, at)  # in the pause's own transaction
    return new


class ObjectiveRuns:
    def __init__(self, db: Database, clock: Clock, keys: Keys) -> None:
        self._db, self._clock, self._keys = db, clock, keys

    async def record(self, req: Mapping[str, Any], actor: str) -> tuple[Row, Row]:
        """Record a run; succeeded/failed are counted now, queued/running when finished."""
        oid = required("objective_id", str(req.get("objective_id", "")))
        outcome = _outcome(str(req.get("outcome", "")), OUTCOMES)
        trigger = str(req.get("trigger") or "").strip().lower() or "schedule"
        if trigger not in RUN_TRIGGERS:
            raise InvalidArgument(
                f"trigger must be one of {', '.join(RUN_TRIGGERS)}", field="trigger"
            )
        now = self._clock.now_ms() // 1000
        final = outcome in FINAL or outcome in ("skipped", "missed")
        error = str(req.get("error") or "").strip() or None
        if outcome == "failed" and error is None:
            raise InvalidArgument("error is required for a failed run", field="error")
        run: Row = {
            "id": self._keys.new_id("run_"),
            "objective_id": oid,
            "scheduled_for_unix": int(req.get("scheduled_for_unix") or 0),
            "started_at_unix": int(req.get("started_at_unix") or 0) or now,
            "created_at_unix": now,
            "outcome": outcome,
            "task_id": str(req.get("task_id") or "").strip() or None,
            "error": error,
            "duration_ms": max(int(req.get("duration_ms") or 0), 0),
            "trigger": trigger,
            "finished_at_unix": now if final else None,
            "event_key": str(req.get("event_key") or "").strip().lower() or None,
            "event_id": str(req.get("event_id") or "").strip() or None,
            "seq": self._keys.next_seq(),
            "run_key": str(req.get("run_key") or "").strip() or None,
        }
        # a reservation: the run of a firing whose task is not enqueued yet
        judge = bool(req.get("judge_overlap")) and outcome == "queued" and not run["task_id"]
        changes: dict[str, Any] = {"next_run_unix": int(req.get("next_run_unix") or 0) or None}
        if req.get("active") is not None:
            changes["active"] = bool(req["active"])
        if req.get("auto_paused_reason") is not None:
            changes["auto_paused_reason"] = str(req["auto_paused_reason"]).strip() or None
        pause_after = int(req.get("auto_pause_after_failures") or 0)
        cols = ", ".join(run)
        sql = f"INSERT INTO objective_runs ({cols}) VALUES ({', '.join(':' + k for k in run)})"

        def after(c: Conn, obj: Row, ch: dict[str, Any]) -> Row:
            return _after_run(c, self._keys, obj, ch, pause_after, actor, now)

        def tx(c: Conn) -> tuple[Row, Row]:
            _fence(c, req)
            new, ch = dict(run), dict(changes)
            if new["task_id"] is not None or new["run_key"] is not None:
                # One run per task and per firing: a repeated record (a retried or
                # concurrent firing) is the first record. The objective's row lock makes
                # the check and the insert one step per objective.
                locked = fetch(c, oid, lock=True)
                first = _first(c, new["task_id"], new["run_key"])
                if first is not None:
                    if not (new["task_id"] and not first["task_id"] and first["outcome"] in OPEN):
                        return locked, first
                    # the task of a reserved run: attach it, and move the next run now
                    attached = c.one(
                        "UPDATE objective_runs SET task_id = :t WHERE id = :id RETURNING *",
                        {"t": new["task_id"], "id": first["id"]},
                    )
                    assert attached is not None
                    return after(c, locked, ch), attached
            if judge:
                locked = fetch(c, oid, lock=True)
                busy = None if locked["overlap_policy"] == "allow" else under_way(c, oid, now)
                if busy is not None:
                    why = f"skipped: the previous run ({busy[1]}) is still under way"
                    new.update(outcome="skipped", error=why, finished_at_unix=now)
                else:
                    ch = {}  # the next run is stored when the task is attached
            if new["outcome"] in FINAL:
                obj = _count(c, oid, new["outcome"], error, new["duration_ms"], now)
            elif new["outcome"] == "missed":
                obj = fetch(c, oid, lock=True)
            else:
                fetch(c, oid, lock=True)
                obj = _set(c, oid, {"last_run_unix": now, "updated_at_unix": now})
            c.run(sql, new)
            return after(c, obj, ch), new

        obj, stored = await self._db.write(tx)
        return view(obj, now), stored

    async def finish(self, req: Mapping[str, Any], actor: str) -> tuple[Row, Row]:
        """Close a queued or running run with its outcome, once, and count it."""
        rid = required("run_id", str(req.get("run_id", "")))
        outcome = _outcome(str(req.get("outcome", "")), FINAL)
        error = str(req.get("error") or "").strip() or None
        if outcome == "failed" and error is None:
            raise InvalidArgument("error is required for a failed run", field="error")
        now, dur = self._clock.now_ms() // 1000, max(int(req.get("duration_ms") or 0), 0)
        changes: dict[str, Any] = {}
        if req.get("next_run_unix") is not None:
            changes["next_run_unix"] = int(req["next_run_unix"]) or None
        pause_after = int(req.get("auto_pause_after_failures") or 0)
        started = int(req.get("started_at_unix") or 0) or None
        p = {"id": rid, "o": outcome, "err": error, "dur": dur, "now": now, "st": started}

        def tx(c: Conn) -> tuple[Row, Row]:
            _fence(c, req)
            run = c.one(
                "UPDATE objective_runs SET outcome = :o, error = :err, duration_ms = :dur,"
                " finished_at_unix = :now, started_at_unix = COALESCE(:st, started_at_unix)"
                " WHERE id = :id AND outcome IN ('queued', 'running')"
                " RETURNING *",
                p,
            )
            if run is None:
                old = c.one("SELECT outcome FROM objective_runs WHERE id = :id", p)
                if old is None:
                    raise NotFound("objective run not found", id=rid)
                raise FailedPrecondition(
                    f"objective run is already {old['outcome']}", outcome=old["outcome"]
                )
            obj = _count(c, run["objective_id"], outcome, error, dur, now)
            after = _after_run(c, self._keys, obj, changes, pause_after, actor, now)
            if outcome == "failed" and not (obj["active"] and not after["active"]):
                # one notice per failure: the pause's (written above) or this one
                notices.objective_run_failed(c, self._keys, after, run, now)
            return after, run

        obj, run = await self._db.write(tx)
        return view(obj, now), run

    async def start(self, req: Mapping[str, Any]) -> Row:
        """Mark a queued run running (its task started); a running one stays as it is."""
        rid = required("run_id", str(req.get("run_id", "")))
        p = {"id": rid, "st": int(req.get("started_at_unix") or 0) or None}

        def tx(c: Conn) -> Row:
            _fence(c, req)
            run = c.one(
                "UPDATE objective_runs SET outcome = 'running',"
                " started_at_unix = COALESCE(:st, started_at_unix)"
                " WHERE id = :id AND outcome = 'queued' RETURNING *",
                p,
            )
            if run is not None:
                return run
            old = c.one("SELECT * FROM objective_runs WHERE id = :id", p)
            if old is None:
                raise NotFound("objective run not found", id=rid)
            if old["outcome"] != "running":
                raise FailedPrecondition(
                    f"objective run is already {old['outcome']}", outcome=old["outcome"]
                )
            return old

        return await self._db.write(tx)

    async def list(
        self,
        objective_id: str,
        limit: int,
        page_token: str,
        outcomes: Sequence[str] = (),
        any_objective: bool = False,
    ) -> tuple[list[Row], str]:
        """Runs newest first (in record order), optionally only those with one of
        `outcomes`, and the next page's token (keyset: a run recorded meanwhile neither
        repeats nor hides one, and a full last page is not followed by an empty one). A run
        reserved before its task exists is not listed until the task is attached.
        `any_objective` lists the runs of every objective (objective_id then empty)."""
        if any_objective and objective_id.strip():
            raise InvalidArgument(
                "objective_id must be empty with any_objective", field="objective_id"
            )
        oid = "" if any_objective else required("objective_id", objective_id)
        n = clamp(limit, 50, 500)
        wanted = sorted({o.strip().lower() for o in outcomes if o.strip()})
        if any(o not in OUTCOMES for o in wanted):
            raise InvalidArgument(f"outcomes must be among {', '.join(OUTCOMES)}", field="outcomes")
        params: dict[str, Any] = {"id": oid}
        params.update({f"o{i}": o for i, o in enumerate(wanted)})
        # a reserved run shows once its task is attached (or it is closed)
        where = [] if any_objective else ["objective_id = :id"]
        where.append(f"NOT ({RESERVED})")
        if wanted:
            where.append(f"outcome IN ({', '.join(f':o{i}' for i in range(len(wanted)))})")
        select = "SELECT * FROM objective_runs"
        return await key_page(self._db, select, where, params, page_token, n, descending=True)
