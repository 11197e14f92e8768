"""The worker pool against a real store: tasks run to succeeded with their artifact,
RunTurn answers, cancel is cooperative, one turn per context in order, queue stats show
the workers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.agent import Hit, NoModelAgent
from orchestrator_svc.agent_tasks import AgentTaskExecutor, TurnExecutor
from orchestrator_svc.executors import Outcome
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.unit.orchestrator_svc.workers_kit import FixedHits, Gate, running_orchestrator

NOTES = [
    Hit("qmd://ws/notes/deploy.md", "Deploying", "Run **deploy** with the blue-green script."),
    Hit("qmd://ws/notes/rollback.md", "Rollback", "To undo a **deploy**, flip the router."),
]
BASE = {"workspace_id": "ws", "context_id": "ctx", "title": "t"}


def stub(pki: PkiPaths, port: int) -> OrchestratorServiceStub:
    return OrchestratorServiceStub(testing.client_channel(pki, port, "admin:admin"))


async def enqueue(orch: OrchestratorServiceStub, **kw: object) -> rpc.EnqueueTaskResponse:
    req = rpc.EnqueueTaskRequest(**{**BASE, "prompt": "p", **kw})  # type: ignore[arg-type]
    reply: rpc.EnqueueTaskResponse = await orch.EnqueueTask(req)
    return reply


async def status_of(orch: OrchestratorServiceStub, task_id: str) -> str:
    return str((await orch.GetTask(rpc.GetTaskRequest(id=task_id))).task.status)


async def until_status(orch: OrchestratorServiceStub, task_id: str, status: str) -> None:
    async def check() -> bool:
        return await status_of(orch, task_id) == status

    await testing.eventually(check, f"task {task_id} {status}")


async def test_an_agent_task_succeeds_with_its_artifact_on_disk(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    root = tmp_path / "workspaces"
    agent = NoModelAgent(FixedHits(NOTES))
    general = AgentTaskExecutor(agent, root, time.time)
    async with running_orchestrator(pki, store_port, {"general": general}) as orch_svc:
        orch = stub(pki, orch_svc.port)
        made = (await enqueue(orch, title="Deploy notes", prompt="how do we deploy?")).task
        await until_status(orch, made.id, "succeeded")
        task = (await orch.GetTask(rpc.GetTaskRequest(id=made.id))).task
    day = time.strftime("%Y/%m/%d", time.gmtime(task.finished_at_unix))
    assert task.result_path == f"tasks/{day}/{made.id}.md"
    artifact = (root / "ws" / task.result_path).read_text()
    assert artifact.startswith("# Task Result\n")
    assert f"- ID: `{made.id}`" in artifact and "- Kind: `general`" in artifact
    assert "## Prompt\n\nhow do we deploy?" in artifact
    assert "### Step 1: `search_knowledge_base`" in artifact
    assert "qmd://ws/notes/deploy.md" in artifact
    assert "## Final Output\n\nNo language model is configured" in artifact
    assert task.result_text.startswith("No language model is configured")
    assert task.result_summary and len(task.result_summary) <= 183


async def test_run_turn_returns_the_retrieval_answer_with_the_no_model_note(
    pki: PkiPaths, store_port: int
) -> None:
    hits = FixedHits(NOTES)
    turn = TurnExecutor(NoModelAgent(hits))
    async with running_orchestrator(pki, store_port, {"turn": turn}) as orch_svc:
        orch = stub(pki, orch_svc.port)
        req = rpc.RunTurnRequest(
            workspace_id="ws", context_id="ctx", connector="telegram", external_id="42",
            from_user_id="u1", text="how do I deploy?", run_key="in:telegram:42:1", wait_ms=10_000,
        )  # fmt: skip
        reply = await orch.RunTurn(req)
        assert (reply.completed, reply.status) == (True, "succeeded")
        assert reply.reply.startswith("No language model is configured")
        assert "qmd://ws/notes/deploy.md" in reply.reply and "blue-green" in reply.reply
        assert "internal error" not in reply.reply.lower()
        assert hits.queries == [("ws", "how do I deploy?")]
        again = await orch.RunTurn(req)  # the same message again: the same turn, not a new one
        assert (again.task_id, again.reply) == (reply.task_id, reply.reply)
        assert len(hits.queries) == 1
        task = (await orch.GetTask(rpc.GetTaskRequest(id=reply.task_id))).task
        assert (task.kind, task.queue_lane, task.result_text) == ("turn", "turn", reply.reply)


async def test_run_turn_without_an_answer_in_time_returns_the_task(
    pki: PkiPaths, store_port: int
) -> None:
    gate = Gate()
    async with running_orchestrator(pki, store_port, {"turn": gate}) as orch_svc:
        orch = stub(pki, orch_svc.port)
        req = rpc.RunTurnRequest(workspace_id="ws", context_id="c", text="slow", wait_ms=0)
        reply = await orch.RunTurn(req)
        assert not reply.completed and reply.task_id and not reply.reply
        gate.open("slow")
        await until_status(orch, reply.task_id, "succeeded")
        bad = await asyncio.gather(
            orch.RunTurn(rpc.RunTurnRequest(workspace_id="ws", context_id="c")),
            return_exceptions=True,
        )
        assert errors.from_rpc_error(bad[0]).details.get("field") == "text"  # type: ignore[arg-type]


async def test_cancel_of_a_running_task_ends_canceled_only_after_the_worker_stopped(
    pki: PkiPaths, store_port: int
) -> None:
    gate = Gate(stop_gate=asyncio.Event())
    async with running_orchestrator(pki, store_port, {"general": gate}) as orch_svc:
        orch = stub(pki, orch_svc.port)
        made = (await enqueue(orch, prompt="long job")).task
        await testing.eventually(lambda: "long job" in gate.running, "the task started")
        asked = await orch.CancelTask(rpc.CancelTaskRequest(task_id=made.id, reason="stop it"))
        assert asked.task.status == "running" and asked.task.cancel_requested_at_unix
        await testing.eventually(gate.stopping.is_set, "the executor was told to stop")
        # the executor has not finished stopping: the task is still running
        assert await status_of(orch, made.id) == "running"
        assert gate.stopped == []
        gate.stop_gate.set()  # type: ignore[union-attr]
        await until_status(orch, made.id, "canceled")
        assert gate.stopped == ["long job"]
        task = (await orch.GetTask(rpc.GetTaskRequest(id=made.id))).task
        assert (task.cancel_reason, task.attempts) == ("stop it", 1)


async def test_a_cancel_reaches_the_worker_through_its_heartbeat(
    pki: PkiPaths, store_port: int
) -> None:
    """Canceled through the store (as another replica would): the heartbeat carries it."""
    gate = Gate()
    async with running_orchestrator(pki, store_port, {"general": gate}, lease_ms=1500) as svc:
        orch = stub(pki, svc.port)
        made = (await enqueue(orch, prompt="elsewhere")).task
        await testing.eventually(lambda: "elsewhere" in gate.running, "the task started")
        from agent_runtime.store.v1 import task_service_pb2 as store_rpc
        from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub

        async with testing.client_channel(pki, store_port, "admin:admin") as ch:
            await TaskServiceStub(ch).CancelTask(store_rpc.CancelTaskRequest(id=made.id))
        await until_status(orch, made.id, "canceled")
        assert gate.stopped == ["elsewhere"]


async def test_two_turns_of_one_context_never_run_at_once_and_run_in_order(
    pki: PkiPaths, store_port: int
) -> None:
    gate = Gate()
    async with running_orchestrator(pki, store_port, {"turn": gate}, size=3) as orch_svc:
        orch = stub(pki, orch_svc.port)
        first = (await enqueue(orch, kind="turn", prompt="a1")).task
        second = (await enqueue(orch, kind="turn", prompt="a2")).task
        third = (await enqueue(orch, kind="turn", prompt="a3")).task
        other = (await enqueue(orch, kind="turn", context_id="ctx-b", prompt="b1")).task
        await testing.eventually(lambda: gate.running == {"a1", "b1"}, "a1 and b1 running")
        assert await status_of(orch, second.id) == "queued"
        gate.open("a1")
        await testing.eventually(lambda: gate.running == {"a2", "b1"}, "a2 after a1")
        assert await status_of(orch, first.id) == "succeeded"
        assert await status_of(orch, third.id) == "queued"
        gate.open("a2")
        gate.open("a3")
        gate.open("b1")
        for t in (second, third, other):
            await until_status(orch, t.id, "succeeded")
        assert [p for p in gate.started if p.startswith("a")] == ["a1", "a2", "a3"]


async def test_queue_stats_show_busy_and_idle_workers(pki: PkiPaths, store_port: int) -> None:
    gate = Gate()
    async with running_orchestrator(pki, store_port, {"general": gate}, size=3) as orch_svc:
        orch = stub(pki, orch_svc.port)
        idle = await orch.GetQueueStats(rpc.GetQueueStatsRequest())
        assert (idle.workers_busy, idle.workers_idle, idle.workers_total) == (0, 3, 3)
        made = [(await enqueue(orch, prompt=f"job{n}")).task for n in range(2)]
        await testing.eventually(lambda: len(gate.running) == 2, "two tasks running")
        busy = await orch.GetQueueStats(rpc.GetQueueStatsRequest())
        assert (busy.workers_busy, busy.workers_idle, busy.running) == (2, 1, 2)
        assert busy.leases_near_expiry == 0  # renewed by their heartbeats
        for n, t in enumerate(made):
            gate.open(f"job{n}")
            await until_status(orch, t.id, "succeeded")
        after = await orch.GetQueueStats(rpc.GetQueueStatsRequest())
        assert (after.workers_busy, after.workers_idle) == (0, 3)


async def test_kinds_without_an_executor_wait_and_failures_follow_the_error(
    pki: PkiPaths, store_port: int
) -> None:
    class Failing:
        async def run(self, task: store.Task) -> Outcome:
            if task.prompt == "bad input":
                raise errors.InvalidArgument("the prompt names no file", field="prompt")
            raise errors.Unavailable("the model is down")

    async with running_orchestrator(pki, store_port, {"general": Failing()}) as orch_svc:
        orch = stub(pki, orch_svc.port)
        waiting = (await enqueue(orch, kind="reindex_markdown")).task
        bad = (await enqueue(orch, prompt="bad input")).task
        flaky = (await enqueue(orch, prompt="flaky", max_attempts=1)).task
        await until_status(orch, bad.id, "failed")
        await until_status(orch, flaky.id, "dead")  # retryable, but out of attempts
        failed = (await orch.GetTask(rpc.GetTaskRequest(id=bad.id))).task
        assert (failed.error_message, failed.attempts) == ("the prompt names no file", 1)
        assert await status_of(orch, waiting.id) == "queued"


async def test_background_work_never_takes_the_last_worker_from_turns(
    pki: PkiPaths, store_port: int
) -> None:
    gate = Gate()
    executors = {"general": gate, "objective": gate, "turn": gate}
    async with running_orchestrator(pki, store_port, executors, size=2) as orch_svc:
        orch = stub(pki, orch_svc.port)
        long_jobs = [(await enqueue(orch, kind="objective", prompt=f"obj{n}")).task for n in (1, 2)]
        await testing.eventually(lambda: gate.running == {"obj1"}, "one objective running")
        turn = (await enqueue(orch, kind="turn", prompt="hello")).task
        await testing.eventually(lambda: gate.running == {"obj1", "hello"}, "the turn runs")
        assert await status_of(orch, long_jobs[1].id) == "queued"
        gate.open("hello")
        await until_status(orch, turn.id, "succeeded")
        # the freed worker stays kept for turns: obj2 waits for obj1's worker
        assert await status_of(orch, long_jobs[1].id) == "queued"
        gate.open("obj1")
        await testing.eventually(lambda: gate.running == {"obj2"}, "then obj2")
        gate.open("obj2")
        for t in long_jobs:
            await until_status(orch, t.id, "succeeded")
