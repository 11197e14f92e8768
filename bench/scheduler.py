"""Objectives due in the same second, fired by scheduler_svc's loop into the real orchestrator
and store (each its own process over mTLS, SQLite).

`--objectives` one-shot (`at`) objectives, all due at the same whole second of the coming
minute, are created in the store; the scheduler's firing loop (this process, the real loop
and its real store and orchestrator clients) holds the lease and fires them. Lateness is the
time from the due time to the moment the orchestrator acknowledged the objective's task
(EnqueueTask returned). The baseline is the orchestrator alone: the latency of an EnqueueTask
at the loop's parallelism (`PARALLEL` calls in flight). Target (issue #12): lateness p99 < 1 s.
Last line: ``objectives=… lateness_p50_ms=… lateness_p99_ms=… enqueue_p99_ms=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

from agent_runtime.orchestrator.v1 import resources_pb2 as orch
from agent_runtime.orchestrator.v1 import service_pb2 as orch_rpc
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from bench._common import figures, parse_args, percentile
from scheduler_svc.clients import OrchestratorTasks, StoreLease, StoreObjectives
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.loop import PARALLEL
from scheduler_svc.server import build_loop
from svckit import loop, testing
from svckit.pki import PkiPaths

KEYS = ("objectives", "lateness_p50_ms", "lateness_p99_ms", "enqueue_p99_ms")
CREATE_PER_S = 200  # a pessimistic creation rate: the due time is set past the creation


class Timed:
    """The orchestrator's tasks, noting when each objective's task was acknowledged."""

    def __init__(self, inner: OrchestratorTasks) -> None:
        self._inner = inner
        self.acked: dict[str, float] = {}

    async def enqueue(self, request: orch_rpc.EnqueueTaskRequest) -> tuple[orch.Task, bool]:
        task, created = await self._inner.enqueue(request)
        self.acked.setdefault(request.objective_id, time.time())
        return task, created

    async def get(self, task_id: str) -> orch.Task:
        return await self._inner.get(task_id)


async def _create(store: StoreObjectives, n: int, due: int) -> None:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(i: int) -> None:
        async with gate:
            await store.create(
                store_rpc.CreateObjectiveRequest(
                    workspace_id="bench",
                    context_id=f"ctx-{i % 64}",
                    title=f"objective {i}",
                    prompt="-",
                    trigger_type="at",
                    run_at_unix=due,
                )
            )

    await asyncio.gather(*(one(i) for i in range(n)))


async def lateness(pki: PkiPaths, store_port: int, orch_port: int, n: int) -> list[float]:
    store_ch = testing.client_channel(pki, store_port, "svc:scheduler")
    orch_ch = testing.client_channel(pki, orch_port, "svc:scheduler")
    async with store_ch, orch_ch:
        store, tasks = StoreObjectives(store_ch), Timed(OrchestratorTasks(orch_ch))
        deps = Deps(store, tasks, StoreLease(store_ch))
        settings = SchedulerSettings(scheduler_lease_ttl_seconds=30.0)
        firing = build_loop(settings, deps)
        due = math.ceil(time.time()) + 2 + math.ceil(n / CREATE_PER_S)
        await _create(store, n, due)
        if time.time() >= due:
            print(f"warning: creating {n} objectives took past their due time", file=sys.stderr)
        firing.start()
        try:
            end = time.monotonic() + 60 + n / 10
            while len(tasks.acked) < n:
                if time.monotonic() > end:
                    raise RuntimeError(f"only {len(tasks.acked)} of {n} objectives fired")
                await asyncio.sleep(0.05)
        finally:
            await firing.stop()
        return [t - due for t in tasks.acked.values()]


async def enqueue_latency(pki: PkiPaths, orch_port: int, n: int) -> list[float]:
    channel = testing.client_channel(pki, orch_port, "svc:scheduler")
    async with channel:
        tasks = OrchestratorTasks(channel)
        gate, out = asyncio.Semaphore(PARALLEL), []

        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                await tasks.enqueue(
                    orch_rpc.EnqueueTaskRequest(
                        workspace_id="bench-baseline",
                        context_id=f"ctx-{i % 64}",
                        title="baseline",
                        prompt="-",
                        kind="general",
                        run_key=f"baseline:{i}",
                    )
                )
                out.append(time.perf_counter() - start)

        await asyncio.gather(*(one(i) for i in range(n)))
        return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler", description=__doc__)
    parser.add_argument("--objectives", type=int, default=1000)
    args = parse_args(parser, argv, smoke={"objectives": 50})
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        pki = testing.make_pki(tmp / "pki")
        with testing.service_process("store_svc", pki, tmp) as store:
            env = {"AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store.grpc}"}
            with testing.service_process("bench._orchestrator_server", pki, tmp, env) as orch_p:
                late = loop.run(lateness(pki, store.grpc, orch_p.grpc, args.objectives))
                base = loop.run(enqueue_latency(pki, orch_p.grpc, args.objectives))
    p50, p99 = percentile(late, 50) * 1000, percentile(late, 99) * 1000
    print(f"{args.objectives} objectives due at once: lateness p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"baseline: EnqueueTask p99 at {PARALLEL} in flight {percentile(base, 99) * 1000:.1f} ms")
    tail = figures(
        lateness_p50_ms=p50, lateness_p99_ms=p99, enqueue_p99_ms=percentile(base, 99) * 1000
    )
    print(f"objectives={args.objectives} {tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
