"""A `general` task whose model keeps failing (the fake provider answers 503) runs through
the real worker pool and agent: each failed attempt goes back to the queue after the store's
exponential backoff (base 60 s, doubled per attempt, jittered into [0.5, 1] of it; the test
moves the store's clock instead of waiting), the last one dead-letters it with its error,
and a replay is a new task that succeeds once the provider is back, while the original
keeps its status, attempts and error."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.orchestrator.v1 import resources_pb2 as api
from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import task_pb2 as stored
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit.pki import PkiPaths
from svckit.testing import client_channel, eventually
from tests.fake_llm import Fail, Say, Seen
from tests.fakes import SteppedClock
from tests.stores import serving_store
from tests.unit.orchestrator_svc.agent_kit import WS, fake_llm, orchestrator, workspace

BASE_MS = 60_000


async def test_a_failing_general_task_backs_off_dies_and_is_replayed_as_a_new_attempt(
    pki: PkiPaths, tmp_path: Path
) -> None:
    root, clock = workspace(tmp_path), SteppedClock()
    down = [True]

    def brain(seen: Seen) -> Fail | Say:
        return Fail(503, "overloaded") if down[0] else Say("The report is ready.")

    with fake_llm(brain) as fake:
        async with (
            serving_store(
                pki, tmp_path, clock, task_retry_base_ms=BASE_MS,
                task_retry_cap_ms=10 * BASE_MS,
            ) as store,
            orchestrator(
                pki, store.grpc, root, provider="openai", base_url=fake.base_url,
            ) as orch,
            client_channel(pki, store.grpc, "svc:orchestrator") as store_channel,
        ):  # fmt: skip
            queue = TaskServiceStub(store_channel)
            made = await orch.stub.EnqueueTask(
                rpc.EnqueueTaskRequest(
                    workspace_id=WS, context_id="system:reports", kind="general",
                    title="weekly report", prompt="write the weekly report", max_attempts=3,
                )
            )  # fmt: skip
            tid = made.task.id

            async def get() -> stored.Task:
                return (await queue.GetTask(store_rpc.GetTaskRequest(id=tid))).task

            for attempt in (1, 2):

                async def failed_once_more(n: int = attempt) -> stored.Task | None:
                    t = await get()
                    return t if (t.status, t.attempts) == ("queued", n) else None

                back = await eventually(failed_once_more, f"attempt {attempt} failed")
                assert "overloaded" in back.error_message
                # not before its backoff: base x 2^(n-1), jittered into [0.5, 1] of it
                delay = BASE_MS * 2 ** (attempt - 1)
                wait_ms = back.next_attempt_at_ms - clock.now_ms()
                assert delay // 2 - 2_000 <= wait_ms <= delay, (attempt, wait_ms)
                clock.advance(delay / 1000)  # the backoff passes; a worker takes it again

            async def dead() -> stored.Task | None:
                t = await get()
                return t if t.status == "dead" else None

            original = await eventually(dead, "the last attempt dead-lettered it")
            assert original.attempts == 3 and "overloaded" in original.error_message
            letters = await orch.stub.ListDeadLetters(rpc.ListDeadLettersRequest(workspace_id=WS))
            [letter] = [d for d in letters.items if d.subject_id == tid]
            assert "overloaded" in letter.last_error and letter.attempts == 3

            down[0] = False  # the provider is back; an admin replays the dead task
            replay = await orch.stub.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id=letter.id))
            assert replay.task_id != tid

            async def succeeded() -> api.Task | None:
                t = (await orch.stub.GetTask(rpc.GetTaskRequest(id=replay.task_id))).task
                return t if t.status == "succeeded" else None

            again = await eventually(succeeded, "the replay succeeded")
            assert (again.attempts, again.prompt) == (1, "write the weekly report")
            assert again.result_path and (root / WS / again.result_path).is_file()
            kept = await get()  # the original keeps its history
            assert (kept.status, kept.attempts) == ("dead", 3)
            assert "overloaded" in kept.error_message
