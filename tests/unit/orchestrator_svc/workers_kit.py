"""An orchestrator with a running worker pool over a real store, and executors a test holds
and releases (`Gate`), for the worker tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.agent import Hit
from orchestrator_svc.clients import StoreLeases, StoreTasks, open_store_channel
from orchestrator_svc.deps import Deps
from orchestrator_svc.executors import Executor, Executors, Outcome
from orchestrator_svc.server import build_server
from orchestrator_svc.watch import Pulse
from orchestrator_svc.workers import WorkerPool
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.orchestrator_svc.conftest import orchestrator_settings


@dataclass
class Gate:
    """Holds every task it runs until the test opens its gate (by task prompt); records the
    order tasks started, and whether each was stopped (cancelled)."""

    started: list[str] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    stopped: list[str] = field(default_factory=list)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    # while set, a stopped task does not finish stopping until it is opened
    stop_gate: asyncio.Event | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def gate(self, prompt: str) -> asyncio.Event:
        return self.gates.setdefault(prompt, asyncio.Event())

    def open(self, prompt: str) -> None:
        self.gate(prompt).set()

    async def run(self, task: store.Task) -> Outcome:
        self.started.append(task.prompt)
        self.running.add(task.prompt)
        try:
            await self.gate(task.prompt).wait()
        except asyncio.CancelledError:
            self.stopping.set()
            if self.stop_gate is not None:
                await asyncio.shield(self.stop_gate.wait())
            self.stopped.append(task.prompt)
            raise
        finally:
            self.running.discard(task.prompt)
        return Outcome(summary=f"done {task.prompt}", text=f"whole answer to {task.prompt}")


@dataclass
class FixedHits:
    """A Retriever that always finds the same notes (what qmd would answer)."""

    hits: list[Hit]
    queries: list[tuple[str, str]] = field(default_factory=list)

    async def search(self, workspace_id: str, query: str, limit: int) -> list[Hit]:
        self.queries.append((workspace_id, query))
        return self.hits[:limit]


@dataclass
class Running:
    port: int
    pool: WorkerPool


@asynccontextmanager
async def running_orchestrator(
    pki: PkiPaths,
    store_port: int,
    executors: Mapping[str, Executor],
    *,
    size: int = 3,
    lease_ms: int = 30_000,
) -> AsyncIterator[Running]:
    settings = orchestrator_settings(pki, store_port)
    channel = open_store_channel(settings)
    pulse = Pulse()
    pool = WorkerPool(
        StoreLeases(channel, 5),
        Executors(executors),
        size=size,
        lease_ms=lease_ms,
        wait_ms=2000,
        drain_seconds=0.2,
        on_change=pulse.fire,
        worker_id="test-replica",
    )
    deps = Deps(tasks=StoreTasks(channel), watch_poll_seconds=0.05, pulse=pulse, workers=pool)
    service = build_server(settings, deps)
    service.on_start.append(pool.start)
    service.on_stop.append(pool.stop)
    try:
        async with testing.serving(service) as ports:
            yield Running(ports.grpc, pool)
    finally:
        await channel.close()


def workspace_root(tmp_path: Path) -> Path:
    root = tmp_path / "workspaces"
    root.mkdir(exist_ok=True)
    return root
