"""No-op tasks end to end through orchestrator_svc and store_svc (SQLite), each its own
process over mTLS, with the orchestrator's own worker pool running them.

Throughput: `--tasks` no-op tasks enqueued through the orchestrator's EnqueueTask by
`--in-flight` producers, from the first enqueue until the queue is empty (every task
succeeded). Dispatch: `--dispatch-tasks` tasks enqueued one at a time with every worker
idle; dispatch is the time from just before EnqueueTask until a worker started the task
(bench._orchestrator_server runs `general` tasks with a no-op executor that records its
start). The ceiling is a
trivial echo servicer served by svckit (same interceptors, same mTLS) in its own process.
Targets (issue #10): >= 500 tasks/s, dispatch p95 <= 20 ms.
Last line: ``tasks_per_s=… dispatch_p50_ms=… dispatch_p95_ms=… echo_calls_per_s=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from bench._common import closed_loop, figures, parse_args, percentile
from svckit import loop, testing
from svckit.pki import PkiPaths

if TYPE_CHECKING:
    from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceAsyncStub

KEYS = ("tasks_per_s", "dispatch_p50_ms", "dispatch_p95_ms", "echo_calls_per_s")
ECHO_IN_FLIGHT = 64


def _request(n: int) -> rpc.EnqueueTaskRequest:
    return rpc.EnqueueTaskRequest(
        workspace_id="bench", context_id=f"ctx-{n % 64}", kind="general", title="noop", prompt="-"
    )


async def _drained(orch: OrchestratorServiceAsyncStub) -> None:
    """Until nothing is queued or running (polls the queue stats; a benchmark may)."""
    while True:
        stats = await orch.GetQueueStats(rpc.GetQueueStatsRequest(), timeout=30)
        if stats.queued == 0 and stats.running == 0:
            return
        await asyncio.sleep(0.005)


async def throughput(pki: PkiPaths, port: int, tasks: int, in_flight: int) -> float:
    channel = testing.client_channel(pki, port, "svc:gateway")
    async with channel:
        orch = OrchestratorServiceStub(channel)
        await orch.EnqueueTask(_request(0), timeout=30)  # warm up the TLS session
        await _drained(orch)
        left = tasks

        async def producer() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await orch.EnqueueTask(_request(left), timeout=30)

        start = time.perf_counter()
        await asyncio.gather(*(producer() for _ in range(in_flight)))
        await _drained(orch)
        return tasks / (time.perf_counter() - start)


async def dispatch(pki: PkiPaths, port: int, tasks: int) -> list[float]:
    """Dispatch latencies in seconds, one task at a time with idle workers."""
    samples: list[float] = []
    channel = testing.client_channel(pki, port, "svc:gateway")
    async with channel:
        orch = OrchestratorServiceStub(channel)
        for n in range(tasks):
            sent = time.time_ns()
            task = (await orch.EnqueueTask(_request(n), timeout=30)).task
            while task.status != "succeeded":
                await asyncio.sleep(0.002)
                task = (await orch.GetTask(rpc.GetTaskRequest(id=task.id), timeout=30)).task
            samples.append((int(task.result_summary) - sent) / 1e9)
    return samples


async def echo_rate(pki: PkiPaths, port: int, seconds: float) -> float:
    channel = testing.client_channel(pki, port, "svc:orchestrator")
    async with channel:
        stub = echo_pb2_grpc.EchoServiceStub(channel)
        req = echo_pb2.EchoRequest(payload=b"x" * 64)

        async def call() -> None:
            await stub.Echo(req, timeout=10)

        await closed_loop(call, ECHO_IN_FLIGHT, min(0.5, seconds))
        return (await closed_loop(call, ECHO_IN_FLIGHT, seconds)).per_second


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.orchestrator", description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks for the throughput")
    parser.add_argument("--in-flight", type=int, default=64, help="concurrent enqueues")
    parser.add_argument("--dispatch-tasks", type=int, default=300, help="tasks for dispatch")
    parser.add_argument("--workers", type=int, default=5, help="DEFAULT_CONCURRENCY")
    parser.add_argument("--seconds", type=float, default=5.0, help="echo measurement")
    args = parse_args(parser, argv, smoke={"tasks": 200, "dispatch_tasks": 20, "seconds": 0.5})
    with tempfile.TemporaryDirectory(prefix="bench-orch-") as tmp_name:
        tmp = Path(tmp_name)
        pki = testing.make_pki(tmp / "pki")
        with testing.service_process("bench._store_echo_server", pki, tmp) as echo_srv:
            echo = loop.run(echo_rate(pki, echo_srv.grpc, args.seconds))
        print(f"echo (svckit, mTLS, {ECHO_IN_FLIGHT} in flight): {echo:.0f} calls/s")
        with testing.service_process("store_svc", pki, tmp) as store:
            env = {
                "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store.grpc}",
                "AGENT_RUNTIME_DEFAULT_CONCURRENCY": str(args.workers),
            }
            with testing.service_process("bench._orchestrator_server", pki, tmp, env) as orch:
                rate = loop.run(throughput(pki, orch.grpc, args.tasks, args.in_flight))
                print(f"{args.tasks} no-op tasks, {args.workers} workers: {rate:.0f} tasks/s")
                lat = loop.run(dispatch(pki, orch.grpc, args.dispatch_tasks))
    p50, p95 = percentile(lat, 50) * 1000, percentile(lat, 95) * 1000
    print(f"dispatch with idle workers ({len(lat)} tasks): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    print(
        figures(
            tasks_per_s=rate,
            dispatch_p50_ms=p50,
            dispatch_p95_ms=p95,
            echo_calls_per_s=echo,
            ratio_to_echo=rate / echo,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
