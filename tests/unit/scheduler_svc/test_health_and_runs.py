"""Statistics, health and run history as the scheduler shows them. Runs are recorded in the
store with the scheduler's certificate, as the firing loop will record them."""

from __future__ import annotations

import time

import grpc
import pytest

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from scheduler_svc.objectives import health_state
from tests.unit.scheduler_svc.conftest import AS_ADMIN, Stack, failure


@pytest.mark.parametrize(
    ("active", "reason", "failures", "state"),
    [
        (False, "auto-paused after 5 consecutive failures", 5, "auto_paused"),
        (False, "", 3, "paused"),
        (True, "", 1, "degraded"),
        (True, "", 0, "healthy"),
    ],
)
def test_health_state_rule(active: bool, reason: str, failures: int, state: str) -> None:
    assert health_state(active, reason, failures) == state


async def _objective(stack: Stack, **kw: object) -> str:
    req = rpc.CreateObjectiveRequest(
        workspace_id="ws-1",
        context_id="ctx-1",
        title="t",
        prompt="p",
        trigger_type="schedule",
        cron_expr="*/5 * * * *",
        **kw,  # type: ignore[arg-type]
    )
    made: rpc.CreateObjectiveResponse = await stack.scheduler().CreateObjective(req, timeout=5)
    return made.objective.id


async def _record(stack: Stack, oid: str, outcome: str, **kw: object) -> None:
    req = store_rpc.RecordObjectiveRunRequest(objective_id=oid, outcome=outcome, **kw)  # type: ignore[arg-type]
    await stack.store().RecordObjectiveRun(req, timeout=5)


async def _get(stack: Stack, oid: str) -> rpc.GetObjectiveResponse:
    got: rpc.GetObjectiveResponse = await stack.scheduler().GetObjective(
        rpc.GetObjectiveRequest(id=oid), timeout=5
    )
    return got


async def test_statistics_streaks_and_recent_errors(stack: Stack) -> None:
    oid = await _objective(stack)
    await _record(stack, oid, "succeeded", duration_ms=300, task_id="t1")
    await _record(stack, oid, "failed", error="boom", duration_ms=100, task_id="t2")
    obj = (await _get(stack, oid)).objective

    assert (obj.run_count, obj.success_count, obj.failure_count) == (2, 1, 1)
    assert (obj.consecutive_failures, obj.failure_streak) == (1, 1)
    assert (obj.consecutive_successes, obj.success_streak) == (0, 0)
    assert (obj.total_run_duration_ms, obj.avg_run_duration_ms) == (400, 200)
    assert obj.last_error == "boom" and obj.health_state == "degraded"
    assert [e.error for e in obj.recent_errors] == ["boom"] and obj.recent_errors[0].at_unix > 0
    assert obj.HasField("last_success_unix") and obj.HasField("last_failure_unix")
    assert obj.HasField("last_run_unix") and not obj.HasField("auto_paused_reason")

    await _record(stack, oid, "succeeded", duration_ms=200, task_id="t3")
    healed = (await _get(stack, oid)).objective
    assert healed.health_state == "healthy" and healed.last_error == ""
    assert (healed.success_streak, healed.failure_streak, healed.avg_run_duration_ms) == (1, 0, 200)
    assert [e.error for e in healed.recent_errors] == ["boom"]  # history stays


async def test_auto_paused_shows_its_reason_and_resume_clears_it(stack: Stack) -> None:
    oid = await _objective(stack)
    await _record(stack, oid, "failed", error="down", auto_pause_after_failures=1)
    obj = (await _get(stack, oid)).objective
    assert not obj.active and obj.health_state == "auto_paused"
    assert obj.auto_paused_reason == "auto-paused after 1 consecutive failures"
    assert list(obj.next_runs_unix) == [] and not obj.HasField("next_run_unix")

    resumed = (
        await stack.scheduler().SetObjectiveActive(
            rpc.SetObjectiveActiveRequest(id=oid, active=True), timeout=5
        )
    ).objective
    assert resumed.active and not resumed.HasField("auto_paused_reason")
    # still failing in a row until a run succeeds
    assert resumed.health_state == "degraded" and len(resumed.next_runs_unix) == 5


async def test_pausing_by_hand_is_paused_not_auto_paused(stack: Stack) -> None:
    oid = await _objective(stack)
    await _record(stack, oid, "failed", error="x")
    paused = (
        await stack.scheduler("svc:gateway").SetObjectiveActive(
            rpc.SetObjectiveActiveRequest(id=oid, active=False), metadata=AS_ADMIN, timeout=5
        )
    ).objective
    assert paused.health_state == "paused" and not paused.HasField("auto_paused_reason")


async def test_runs_newest_first_with_status_filter_and_pages(stack: Stack) -> None:
    oid = await _objective(stack)
    outcomes = ["succeeded", "failed", "skipped", "failed", "queued", "failed", "missed"]
    for i, outcome in enumerate(outcomes):
        extra: dict[str, object] = {"scheduled_for_unix": 1000 + i}
        if outcome == "failed":
            extra["error"] = f"e{i}"
        if outcome in ("succeeded", "failed", "queued"):
            extra["task_id"] = f"task-{i}"
        await _record(stack, oid, outcome, **extra)
    sched = stack.scheduler()

    everything = await sched.ListObjectiveRuns(rpc.ListObjectiveRunsRequest(id=oid), timeout=5)
    assert everything.count == 7 and everything.next_page_token == ""
    # newest first in true record order, even for runs recorded within the same second
    assert [r.scheduled_for_unix for r in everything.items] == list(range(1006, 999, -1))
    by_slot = {r.scheduled_for_unix: r for r in everything.items}
    failed = by_slot[1001]
    assert (failed.status, failed.error, failed.task_id) == ("failed", "e1", "task-1")
    assert failed.trigger == "schedule" and failed.objective_id == oid
    assert failed.started_at_unix > 0 and failed.finished_at_unix > 0
    # every run keeps its record time, a run that never started too
    created = [r.created_at_unix for r in everything.items]
    assert all(t > 0 for t in created) and created == sorted(created, reverse=True)
    skipped, queued = by_slot[1002], by_slot[1004]
    assert (skipped.status, skipped.started_at_unix, skipped.task_id) == ("skipped", 0, "")
    assert (queued.status, queued.started_at_unix, queued.finished_at_unix) == ("queued", 0, 0)
    assert skipped.created_at_unix > 0 and queued.created_at_unix > 0

    seen: list[int] = []
    token, pages = "", 0
    while True:
        page = await sched.ListObjectiveRuns(
            rpc.ListObjectiveRunsRequest(id=oid, status="FAILED", limit=2, page_token=token),
            timeout=5,
        )
        pages += 1
        assert page.count == len(page.items) <= 2
        assert {r.status for r in page.items} <= {"failed"}
        seen += [r.scheduled_for_unix for r in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == [1005, 1003, 1001] and pages == 2

    plain = await sched.ListObjectiveRuns(rpc.ListObjectiveRunsRequest(id=oid, limit=5), timeout=5)
    assert plain.count == 5 and plain.next_page_token
    rest = await sched.ListObjectiveRuns(
        rpc.ListObjectiveRunsRequest(id=oid, limit=5, page_token=plain.next_page_token), timeout=5
    )
    assert rest.count == 2 and rest.next_page_token == ""
    assert [r.id for r in [*plain.items, *rest.items]] == [r.id for r in everything.items]


async def test_status_filter_pages_count_matching_runs_only(stack: Stack) -> None:
    # the filter is the store's: a page is full of matching runs however many others lie
    # between them, and the token goes on from the last one shown
    oid = await _objective(stack)
    slots: dict[str, list[int]] = {"failed": [], "skipped": []}
    for i in range(12):
        outcome = "failed" if i % 4 == 0 else "skipped"
        slots[outcome].append(2000 + i)
        await _record(stack, oid, outcome, scheduled_for_unix=2000 + i, error="x")
    sched = stack.scheduler()
    for status, limit in [("failed", 2), ("skipped", 4), ("Skipped ", 9)]:
        wanted = slots[status.strip().lower()][::-1]
        seen: list[int] = []
        token = ""
        while True:
            page = await sched.ListObjectiveRuns(
                rpc.ListObjectiveRunsRequest(id=oid, status=status, limit=limit, page_token=token),
                timeout=5,
            )
            assert page.count == len(page.items) <= limit
            assert page.count == limit or not page.next_page_token
            seen += [r.scheduled_for_unix for r in page.items]
            token = page.next_page_token
            if not token:
                break
        assert seen == wanted, status


async def test_run_times_record_and_task_start_apart(stack: Stack) -> None:
    # the task started well before the run was recorded: the API shows both as they are
    oid = await _objective(stack)
    before = int(time.time())
    await _record(stack, oid, "succeeded", task_id="t1", started_at_unix=1_700_000_000)
    await _record(stack, oid, "running", task_id="t2", started_at_unix=1_700_000_100)
    await _record(stack, oid, "succeeded", task_id="t3")
    listed = await stack.scheduler().ListObjectiveRuns(
        rpc.ListObjectiveRunsRequest(id=oid), timeout=5
    )
    t3, t2, t1 = listed.items
    assert [r.task_id for r in (t1, t2, t3)] == ["t1", "t2", "t3"]
    assert (t1.started_at_unix, t2.started_at_unix) == (1_700_000_000, 1_700_000_100)
    for run in (t1, t2, t3):
        assert before <= run.created_at_unix <= time.time() + 1, run
    # without a start given, the task started when the run was recorded
    assert t3.started_at_unix == t3.created_at_unix


async def test_runs_outlive_their_objective(stack: Stack) -> None:
    oid = await _objective(stack)
    await _record(stack, oid, "succeeded", task_id="t1")
    await stack.scheduler().DeleteObjective(rpc.DeleteObjectiveRequest(id=oid), timeout=5)
    runs = await stack.scheduler().ListObjectiveRuns(
        rpc.ListObjectiveRunsRequest(id=oid), timeout=5
    )
    assert [r.status for r in runs.items] == ["succeeded"]


async def test_run_listing_errors(stack: Stack) -> None:
    sched = stack.scheduler()
    for req, field in [
        (rpc.ListObjectiveRunsRequest(), "id"),
        (rpc.ListObjectiveRunsRequest(id="obj_1", status="exploded"), "status"),
        (rpc.ListObjectiveRunsRequest(id="obj_1", page_token="-3"), "page_token"),
        (rpc.ListObjectiveRunsRequest(id="obj_1", status="failed", page_token="x"), "page_token"),
    ]:
        bad = await failure(sched.ListObjectiveRuns(req, timeout=5))
        assert bad.code == grpc.StatusCode.INVALID_ARGUMENT, req
        assert bad.details.get("field") == field, (req, bad)
