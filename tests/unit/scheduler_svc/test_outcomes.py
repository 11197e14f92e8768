"""Outcomes reconciled from the tasks by the leader, against a real store and orchestrator on
a clock the test moves: a run shows running while its task runs; a finished task closes its
run on the next tick with its status and duration, failures back off and five in a row
pause the objective with the reason, one notice per failure, the last the pause's; a
deposed leader's writes are refused by the lease's fencing token."""

from __future__ import annotations

from typing import Any

import grpc

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from agent_runtime.store.v1 import task_service_pb2 as task_rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from scheduler_svc.clients import StoreLease
from scheduler_svc.leader import LEASE_NAME
from svckit import testing
from tests.unit.scheduler_svc.conftest import START, Stack, failure

WS = "ws-outcomes"


async def _create(stack: Stack, workspace: str = WS, **kw: Any) -> Any:
    req = rpc.CreateObjectiveRequest(
        workspace_id=workspace,
        context_id="ctx-1",
        title="Digest",
        prompt="Summarise the day",
        **({"trigger_type": "schedule"} | kw),
    )
    made: rpc.CreateObjectiveResponse = await stack.scheduler().CreateObjective(req, timeout=5)
    return made.objective


async def _get(stack: Stack, oid: str) -> Any:
    reply = await stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id=oid), timeout=5)
    return reply.objective


async def _runs_where(stack: Stack, oid: str, what: str, ok: Any) -> list[Any]:
    async def check() -> list[Any] | None:
        assert stack.loop is not None
        stack.loop.wake()
        reply = await stack.scheduler().ListObjectiveRuns(
            rpc.ListObjectiveRunsRequest(id=oid, limit=500), timeout=5
        )
        runs = list(reply.items)
        return runs if ok(runs) else None

    found: list[Any] = await testing.eventually(check, what)
    return found


def _advance(stack: Stack, seconds: int) -> None:
    assert stack.clock is not None and stack.loop is not None
    stack.clock.advance(seconds)
    stack.loop.wake()


async def test_a_finished_task_closes_its_run_with_status_and_duration(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 60s", overlap_policy="allow")
    _advance(firing, 60)
    await _runs_where(firing, obj.id, "one queued run", lambda r: len(r) == 1)
    (task,) = await firing.finish_tasks(seconds=3)
    assert task.status == "succeeded"

    (run,) = await _runs_where(
        firing, obj.id, "the run closed", lambda r: r[0].status == "succeeded"
    )
    assert (run.task_id, run.duration_ms, run.error) == (task.id, 3000, "")
    assert run.finished_at_unix == START + 63
    got = await _get(firing, obj.id)
    assert (got.run_count, got.success_count, got.failure_count) == (1, 1, 0)
    assert (got.success_streak, got.avg_run_duration_ms, got.health_state) == (1, 3000, "healthy")
    assert list(got.next_runs_unix) == [START + 120 + 60 * i for i in range(5)]


async def test_a_run_shows_running_while_its_task_runs(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 60s", overlap_policy="allow")
    _advance(firing, 60)
    await _runs_where(firing, obj.id, "one queued run", lambda r: r and r[0].status == "queued")
    worker = TaskServiceStub(firing._store_as("svc:orchestrator"))
    (task,) = (
        await worker.ClaimTasks(
            task_rpc.ClaimTasksRequest(worker_id="w", max_tasks=1, lease_ms=600_000), timeout=5
        )
    ).tasks
    (run,) = await _runs_where(
        firing, obj.id, "the run running", lambda r: r[0].status == "running"
    )
    assert run.task_id == task.id and run.finished_at_unix == 0
    done = task_rpc.CompleteTaskRequest(id=task.id, lease_token=task.lease_token)
    await worker.CompleteTask(done, timeout=5)
    await _runs_where(firing, obj.id, "the run closed", lambda r: r[0].status == "succeeded")


async def test_a_failure_backs_off_the_next_run(firing: Stack) -> None:
    obj = await _create(firing, cron_expr="@every 60s", failure_backoff_seconds=300)
    _advance(firing, 60)
    await _runs_where(firing, obj.id, "one queued run", lambda r: len(r) == 1)
    await firing.finish_tasks(error="the site is down", seconds=3)
    (run,) = await _runs_where(firing, obj.id, "the run failed", lambda r: r[0].status == "failed")
    assert run.error == "the site is down"
    got = await _get(firing, obj.id)
    # failed at START+63: no run before START+363, on the one-minute grid
    assert (got.failure_streak, got.health_state, got.next_run_unix) == (1, "degraded", START + 420)
    assert [e.error for e in got.recent_errors] == ["the site is down"]


async def test_five_failures_in_a_row_pause_with_the_reason_and_a_notice(firing: Stack) -> None:
    ctx = await firing.admin_channel("ops-chat")
    obj = await _create(firing, ctx.workspace_id, cron_expr="@every 60s", failure_backoff_seconds=1)
    for n in range(1, 6):
        _advance(firing, 60)
        await _runs_where(firing, obj.id, f"run {n} queued", lambda r, n=n: len(r) == n)
        await firing.finish_tasks(error=f"boom {n}", seconds=1)
        await _runs_where(firing, obj.id, f"run {n} failed", lambda r: r[0].status == "failed")
    got = await _get(firing, obj.id)
    assert (got.active, got.health_state) == (False, "auto_paused")
    assert got.auto_paused_reason == "auto-paused after 5 consecutive failures"
    assert not got.HasField("next_run_unix")
    assert [e.error for e in got.recent_errors] == [f"boom {n}" for n in range(1, 6)]

    # one notice per failure, none twice: four from the objective's failed runs, then the
    # pause (the failed tasks' own notices are not written)
    outbox = sorted(await firing.outbox(), key=lambda d: d.created_at_unix)
    assert len(outbox) == 5
    assert all(d.connector == "telegram" and d.chat_id == "ops-chat" for d in outbox)
    *failures, notice = outbox
    for n, d in enumerate(failures, start=1):
        assert d.idempotency_key.startswith("objective-run:") and d.text.startswith(
            "Objective run failed: Digest"
        )
        assert f"boom {n}" in d.text and f"({n} failure" in d.text
    assert notice.idempotency_key == f"objective:{obj.id}:auto-paused:5"
    assert (notice.connector, notice.chat_id, notice.status) == ("telegram", "ops-chat", "pending")
    assert obj.id in notice.text and "auto-paused after 5 consecutive failures" in notice.text

    _advance(firing, 600)  # paused: nothing fires any more
    runs = await _runs_where(firing, obj.id, "five runs", lambda r: len(r) == 5)
    assert len(runs) == 5


async def test_a_deposed_leaders_writes_are_refused(stack: Stack) -> None:
    obj = await _create(stack, cron_expr="@every 60s")
    leases = StoreLease(stack._store_as("svc:scheduler"))
    old = await leases.acquire(LEASE_NAME, "a", 60_000)
    await leases.release(LEASE_NAME, "a")
    new = await leases.acquire(LEASE_NAME, "b", 60_000)
    assert new.token > old.token

    def record(token: int) -> store_rpc.RecordObjectiveRunRequest:
        return store_rpc.RecordObjectiveRunRequest(
            objective_id=obj.id,
            outcome="missed",
            scheduled_for_unix=obj.next_run_unix,
            next_run_unix=obj.next_run_unix + 60,
            lease_name=LEASE_NAME,
            fencing_token=token,
        )

    refused = await failure(stack.store().RecordObjectiveRun(record(old.token), timeout=5))
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.details["fencing_token"] == str(new.token)
    got = await _get(stack, obj.id)
    assert got.next_run_unix == obj.next_run_unix  # nothing written
    listed = await stack.scheduler().ListObjectiveRuns(rpc.ListObjectiveRunsRequest(id=obj.id))
    assert list(listed.items) == []

    await stack.store().RecordObjectiveRun(record(new.token), timeout=5)
    assert (await _get(stack, obj.id)).next_run_unix == obj.next_run_unix + 60


async def test_a_batch_of_run_records_refuses_only_the_stale_one(stack: Stack) -> None:
    """RecordObjectiveRuns (the firing loop's batch): each record is fenced on its own."""
    stale_obj = await _create(stack, cron_expr="@every 60s")
    live_obj = await _create(stack, cron_expr="@every 60s")
    leases = StoreLease(stack._store_as("svc:scheduler"))
    old = await leases.acquire(LEASE_NAME, "a", 60_000)
    await leases.release(LEASE_NAME, "a")
    new = await leases.acquire(LEASE_NAME, "b", 60_000)

    def record(obj: Any, token: int) -> store_rpc.RecordObjectiveRunRequest:
        return store_rpc.RecordObjectiveRunRequest(
            objective_id=obj.id, outcome="missed", scheduled_for_unix=obj.next_run_unix,
            next_run_unix=obj.next_run_unix + 60, lease_name=LEASE_NAME, fencing_token=token,
        )  # fmt: skip

    runs = [record(stale_obj, old.token), record(live_obj, new.token)]
    reply = await stack.store().RecordObjectiveRuns(
        store_rpc.RecordObjectiveRunsRequest(runs=runs), timeout=5
    )
    stale, live = reply.results
    assert stale.code == "FAILED_PRECONDITION" and not stale.HasField("run")
    assert (live.code, live.run.outcome) == ("", "missed")
    assert live.objective.next_run_unix == live_obj.next_run_unix + 60
    assert (await _get(stack, stale_obj.id)).next_run_unix == stale_obj.next_run_unix
