"""The overlap judgement of a firing, made in the transaction that reserves its run (the
objective's row locked), so two scheduler replicas firing one objective at once (the
leader's tick and a RunObjectiveNow served by another replica) are judged one after the
other and never both start a run under `skip` or `buffer-one`.

A run is under way while its task is queued or running. A reservation (a run recorded
before its task exists, found by its run key) counts as under way while its task is, or
for `RESERVE_SECONDS` while no task has that key yet (the firing is enqueuing it); after
that, the firing stopped before its task was made, and the reservation is closed `missed`
so it neither blocks nor stays open for ever."""

from __future__ import annotations

from store_svc.db import Conn, Row

RESERVE_SECONDS = 60
ACTIVE = ("queued", "running")  # task states of a run under way
STALE = "missed: the firing stopped before its task was enqueued"


def under_way(c: Conn, objective_id: str, now: int) -> tuple[Row, str] | None:
    """The newest run of the objective still under way and what it waits on (its task id, or
    "a firing in flight"); None when there is none. Stale reservations are closed here."""
    runs = c.all(
        "SELECT * FROM objective_runs WHERE objective_id = :id"
        " AND outcome IN ('queued', 'running') ORDER BY seq DESC",
        {"id": objective_id},
    )
    for run in runs:
        if run["task_id"]:
            task = c.one("SELECT id, status FROM tasks WHERE id = :t", {"t": run["task_id"]})
        elif run["run_key"]:
            task = c.one("SELECT id, status FROM tasks WHERE run_key = :k", {"k": run["run_key"]})
            if task is None:
                if run["created_at_unix"] >= now - RESERVE_SECONDS:
                    return run, "a firing in flight"
                _close_stale(c, run, now)
                continue
        else:
            continue
        if task is not None and task["status"] in ACTIVE:
            return run, f"task {task['id']}"
    return None


def _close_stale(c: Conn, run: Row, now: int) -> None:
    c.run(
        "UPDATE objective_runs SET outcome = 'missed', error = :err, finished_at_unix = :now"
        " WHERE id = :id AND outcome IN ('queued', 'running')",
        {"id": run["id"], "err": STALE, "now": now},
    )
