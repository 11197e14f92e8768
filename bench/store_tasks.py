"""Task lifecycles (create + claim + complete) through store_svc over mTLS, 64 in flight.

store_svc runs as a real process (`python -m store_svc`), first on SQLite, then on a
throwaway PostgreSQL cluster when one can be started; the ceiling is a trivial echo servicer
served by svckit (same interceptors, same mTLS) in its own process. 32 producers each
enqueue one task at a time (as chat turns arrive); like the orchestrator's enqueue path, the
creates requested in the same event-loop iteration travel as one CreateTasks call. 32
workers claim up to 8 per call, run them, and acknowledge the finished ones together with
one CompleteTasks call; an idle worker long-polls (ClaimTasks with wait_ms). The same run on
SQLite with one CreateTask and one CompleteTask call per task is reported as
``sqlite_one_call_per_task_lifecycles_per_s``.
Last line: ``sqlite_lifecycles_per_s=… postgres_lifecycles_per_s=… echo_calls_per_s=…``;
postgres is 0 when skipped (``--no-postgres``, as ``--smoke`` implies, or no PostgreSQL here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from bench._common import closed_loop, figures, parse_args
from svckit import loop, testing
from svckit.pki import PkiPaths

if TYPE_CHECKING:
    from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceAsyncStub

KEYS = (
    "sqlite_lifecycles_per_s",
    "postgres_lifecycles_per_s",
    "echo_calls_per_s",
    "sqlite_ratio_to_echo",
    "sqlite_one_call_per_task_lifecycles_per_s",
)
IN_FLIGHT = 64


class Enqueuer:
    """Coalesces the creates requested in one event-loop iteration into one CreateTasks
    call, as the orchestrator's enqueue path does; each caller still waits for its own row."""

    def __init__(self, stub: TaskServiceAsyncStub) -> None:
        self._stub = stub
        self._pending: list[tuple[trpc.CreateTaskRequest, asyncio.Future[None]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def create(self, req: trpc.CreateTaskRequest) -> None:
        running = asyncio.get_running_loop()
        fut: asyncio.Future[None] = running.create_future()
        if not self._pending:
            running.call_soon(self._flush)
        self._pending.append((req, fut))
        await fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[trpc.CreateTaskRequest, asyncio.Future[None]]]) -> None:
        try:
            resp = await self._stub.CreateTasks(
                trpc.CreateTasksRequest(tasks=[r for r, _ in batch]), timeout=30
            )
        except grpc.aio.AioRpcError as exc:
            for _, fut in batch:
                fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, resp.results, strict=True):
            if result.code:
                fut.set_exception(RuntimeError(f"{result.code}: {result.message}"))
            else:
                fut.set_result(None)


async def lifecycles(pki: PkiPaths, port: int, seconds: float, batched: bool = True) -> float:
    channel = testing.client_channel(pki, port, identity="svc:orchestrator")
    stub = TaskServiceStub(channel)
    enqueuer = Enqueuer(stub)
    done = 0
    stop = time.perf_counter() + seconds
    req = trpc.CreateTaskRequest(workspace_id="ws", context_id="ctx", title="bench", prompt="noop")

    async def producer() -> None:
        while time.perf_counter() < stop:
            if batched:
                await enqueuer.create(req)
            else:
                await stub.CreateTask(req, timeout=30)

    async def worker(n: int) -> None:
        nonlocal done
        # long poll: an idle worker waits in the store instead of polling it
        claim = trpc.ClaimTasksRequest(worker_id=f"w{n}", max_tasks=8, lease_ms=60_000, wait_ms=250)
        while time.perf_counter() < stop:
            got = (await stub.ClaimTasks(claim, timeout=30)).tasks
            if not got:
                continue
            if batched:
                acks = await stub.CompleteTasks(
                    trpc.CompleteTasksRequest(
                        completions=[
                            trpc.TaskCompletion(
                                id=t.id, lease_token=t.lease_token, result_summary="ok"
                            )
                            for t in got
                        ]
                    ),
                    timeout=30,
                )
                done += sum(r.completed for r in acks.results)
                continue
            for t in got:
                await stub.CompleteTask(
                    trpc.CompleteTaskRequest(
                        id=t.id, lease_token=t.lease_token, result_summary="ok"
                    ),
                    timeout=30,
                )
                done += 1

    async with channel:
        await stub.CreateTask(req, timeout=30)  # warm up the TLS session
        start = time.perf_counter()
        half = IN_FLIGHT // 2
        await asyncio.gather(*(producer() for _ in range(half)), *(worker(n) for n in range(half)))
        return done / (time.perf_counter() - start)


async def echo_rate(pki: PkiPaths, port: int, seconds: float) -> float:
    channel = testing.client_channel(pki, port, identity="svc:orchestrator")
    stub = echo_pb2_grpc.EchoServiceStub(channel)
    req = echo_pb2.EchoRequest(payload=b"x" * 64)

    async def call() -> None:
        await stub.Echo(req, timeout=10)

    async with channel:
        await closed_loop(call, IN_FLIGHT, 0.5)
        return (await closed_loop(call, IN_FLIGHT, seconds)).per_second


@contextlib.contextmanager
def process(module: str, pki: PkiPaths, data: Path, db_url: str | None = None) -> Iterator[int]:
    env = {"AGENT_RUNTIME_DB_URL": db_url} if db_url else {}
    with testing.service_process(module, pki, data, env) as served:
        yield served.grpc


def on_postgres(pki: PkiPaths, tmp: Path, seconds: float) -> float:
    """Lifecycles per second on a throwaway PostgreSQL cluster; 0 (and why) without one."""
    from tests import pg

    try:
        cluster = pg.start_cluster()
    except pg.PostgresUnavailable as exc:
        print(f"postgres: skipped ({exc})")
        return 0.0
    try:
        with process("store_svc", pki, tmp, cluster.url) as port:
            postgres = loop.run(lifecycles(pki, port, seconds))
        print(f"postgres: {postgres:.0f} lifecycles/s")
        return postgres
    finally:
        cluster.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store_tasks", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="each measured phase")
    parser.add_argument(
        "--postgres",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure on a throwaway PostgreSQL cluster when one can be started",
    )
    args = parse_args(parser, argv, smoke={"seconds": 0.3, "postgres": False})
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp_name:
        tmp = Path(tmp_name)
        pki = testing.make_pki(tmp / "pki")
        with process("bench._store_echo_server", pki, tmp) as port:
            echo = loop.run(echo_rate(pki, port, args.seconds))
        print(f"echo (svckit, mTLS, {IN_FLIGHT} in flight): {echo:.0f} calls/s")
        with process("store_svc", pki, tmp) as port:
            sqlite = loop.run(lifecycles(pki, port, args.seconds))
        print(f"sqlite: {sqlite:.0f} lifecycles/s ({sqlite / echo:.2f} of echo calls/s)")
        with process("store_svc", pki, tmp / "single") as port:
            single = loop.run(lifecycles(pki, port, args.seconds, batched=False))
        print(f"sqlite, one CreateTask and one CompleteTask per task: {single:.0f} lifecycles/s")
        postgres = 0.0
        if args.postgres:
            postgres = on_postgres(pki, tmp, args.seconds)
        else:
            print("postgres: skipped (--no-postgres)")
    print(
        figures(
            sqlite_lifecycles_per_s=sqlite,
            postgres_lifecycles_per_s=postgres,
            echo_calls_per_s=echo,
            sqlite_ratio_to_echo=sqlite / echo,
            sqlite_one_call_per_task_lifecycles_per_s=single,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
