"""Orchestrator processes that die or are stopped mid-task, over a real store whose clock
the test moves: a `kill -9`ed worker's task is reclaimed after its lease and completed
once; SIGTERM releases the lease without spending an attempt."""

from __future__ import annotations

import asyncio
import os
import signal
from contextlib import ExitStack
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.fakes import SteppedClock

MODULE = "tests.unit.orchestrator_svc.hold_orchestrator"
LEASE_MS = 60_000


class Orchestrators:
    """Orchestrator processes, started and stopped off the event loop (the store they use
    is served by this test's loop)."""

    def __init__(self, pki: PkiPaths, data: Path, store_port: int) -> None:
        self._pki, self._data, self._store_port = pki, data, store_port
        self._stacks: list[ExitStack] = []

    async def start(self, **env: str) -> tuple[ExitStack, testing.ServiceProcess]:
        full = {
            "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{self._store_port}",
            "AGENT_RUNTIME_TASK_LEASE_MS": str(LEASE_MS),
            "AGENT_RUNTIME_TASK_CLAIM_WAIT_MS": "2000",
            "AGENT_RUNTIME_DEFAULT_CONCURRENCY": "2",
            **env,
        }
        stack = ExitStack()
        self._stacks.append(stack)
        cm = testing.service_process(MODULE, self._pki, self._data, full)
        proc = await asyncio.to_thread(stack.enter_context, cm)
        return stack, proc

    async def close(self) -> None:
        for stack in self._stacks:
            await asyncio.to_thread(stack.close)


async def _task(stub: TaskServiceStub, task_id: str) -> store.Task:
    return (await stub.GetTask(store_rpc.GetTaskRequest(id=task_id))).task


def _started_by(folder: Path, task_id: str) -> list[str]:
    return sorted(p.name.split(".")[1] for p in folder.glob(f"{task_id}.*.started"))


async def test_a_killed_workers_task_is_reclaimed_after_its_lease_and_completed_once(
    pki: PkiPaths, store_port: int, store_clock: SteppedClock, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    procs = Orchestrators(pki, tmp_path, store_port)
    async with testing.client_channel(pki, store_port, "svc:orchestrator") as ch:
        stub = TaskServiceStub(ch)
        try:
            _, first = await procs.start()
            made = await stub.CreateTask(
                store_rpc.CreateTaskRequest(
                    workspace_id="ws", context_id="c", kind="hold", title="t", prompt=str(hold)
                )
            )
            tid = made.task.id
            await testing.eventually(lambda: _started_by(hold, tid), "the first worker started")
            assert _started_by(hold, tid) == [str(first.proc.pid)]
            os.kill(first.proc.pid, signal.SIGKILL)
            await asyncio.to_thread(first.proc.wait)
            assert (await _task(stub, tid)).status == "running"  # its lease still holds

            _, second = await procs.start()
            store_clock.advance(LEASE_MS / 1000 + 1)  # the dead worker's lease runs out
            await testing.eventually(
                lambda: str(second.proc.pid) in _started_by(hold, tid), "reclaimed"
            )
            (hold / f"{tid}.go").touch()

            async def finished() -> store.Task | None:
                t = await _task(stub, tid)
                return t if t.status == "succeeded" else None

            done = await testing.eventually(finished, "the task succeeded")
            assert done.result_summary == f"done by {second.proc.pid}"
            assert done.attempts == 2  # the killed attempt, and the one that completed
        finally:
            await procs.close()


async def test_sigterm_releases_the_lease_without_spending_an_attempt(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    procs = Orchestrators(pki, tmp_path, store_port)
    async with testing.client_channel(pki, store_port, "svc:orchestrator") as ch:
        stub = TaskServiceStub(ch)
        try:
            stack, first = await procs.start(AGENT_RUNTIME_WORKER_DRAIN_SECONDS="0.2")
            made = await stub.CreateTask(
                store_rpc.CreateTaskRequest(
                    workspace_id="ws", context_id="c", kind="hold", title="t", prompt=str(hold),
                    max_attempts=1,
                )
            )  # fmt: skip
            tid = made.task.id
            await testing.eventually(lambda: _started_by(hold, tid), "the task started")
            await asyncio.to_thread(stack.close)  # SIGTERM, and wait for the process to exit
            assert first.proc.returncode == 0
            back = await _task(stub, tid)
            # back in the queue at once, its only attempt unspent, not waiting for a lease
            assert (back.status, back.attempts, back.lease_expires_at_ms) == ("queued", 0, 0)

            _, second = await procs.start()
            await testing.eventually(
                lambda: str(second.proc.pid) in _started_by(hold, tid), "claimed again"
            )
            (hold / f"{tid}.go").touch()

            async def finished() -> store.Task | None:
                t = await _task(stub, tid)
                return t if t.status == "succeeded" else None

            done = await testing.eventually(finished, "the task succeeded")
            assert (done.attempts, done.result_summary) == (1, f"done by {second.proc.pid}")
        finally:
            await procs.close()
