"""scheduler_svc on port 0 in front of a real store_svc (SQLite in a temporary folder) and a
real orchestrator_svc, all over mTLS with a throwaway PKI: the scheduler reaches both with
its own certificate. `stack` serves the API with the firing loop off (its tests record runs
by hand); `firing` runs the loop against a clock the test moves, shared by all three."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.scheduler.v1 import service_pb2_grpc
from agent_runtime.store.v1 import delivery_service_pb2 as delivery_rpc
from agent_runtime.store.v1 import task_service_pb2 as task_rpc
from agent_runtime.store.v1 import workspace_service_pb2 as ws_rpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from orchestrator_svc.clients import StoreTasks, open_store_channel
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps as OrchDeps
from orchestrator_svc.server import build_server as build_orchestrator
from scheduler_svc.clients import (
    RETRY_METHODS,
    OrchestratorTasks,
    StoreLease,
    StoreObjectives,
)
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.loop import FiringLoop
from scheduler_svc.server import build_loop, build_server
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.stores import serving_store

# What the gateway sends when it relays a REST call of an authenticated admin.
AS_ADMIN = (("x-acting-admin", "admin:ops"),)
PORTS0 = {"grpc_port": 0, "health_port": 0, "metrics_port": 0}
START = 1_900_000_000


class MovableClock:
    """Unix time moved by the test: the store's clock (`now_ms`) and the others' (`now`)."""

    def __init__(self) -> None:
        self.ms = START * 1000

    def now_ms(self) -> int:
        return self.ms

    def now(self) -> float:
        return self.ms / 1000

    def advance(self, seconds: int) -> None:
        self.ms += seconds * 1000


@asynccontextmanager
async def serving_orchestrator(
    pki: PkiPaths, store_port: int, clock: Callable[[], float] | None = None
) -> AsyncIterator[int]:
    """orchestrator_svc on port 0 (no workers yet: enqueued tasks stay queued)."""
    settings = OrchestratorSettings(
        pki_dir=pki.root, store_addr=f"127.0.0.1:{store_port}", **PORTS0
    )
    store = open_store_channel(settings)
    deps = OrchDeps(tasks=StoreTasks(store), **({"clock": clock} if clock else {}))
    try:
        async with testing.serving(build_orchestrator(settings, deps)) as ports:
            yield ports.grpc
    finally:
        await store.close()


@asynccontextmanager
async def serving_scheduler(
    pki: PkiPaths,
    store_port: int,
    orchestrator_port: int,
    clock: Callable[[], float] | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[int, FiringLoop]]:
    """scheduler_svc on port 0 and its firing loop (started unless scheduler_firing=False)."""
    config = SchedulerSettings(
        pki_dir=pki.root,
        store_addr=f"127.0.0.1:{store_port}",
        orchestrator_addr=f"127.0.0.1:{orchestrator_port}",
        **(PORTS0 | settings),
    )
    store = testing.client_channel(
        pki, store_port, "svc:scheduler", retry_methods=RETRY_METHODS, relay_admin=True
    )
    orch = testing.client_channel(pki, orchestrator_port, "svc:scheduler")
    deps = Deps(
        objectives=StoreObjectives(store),
        tasks=OrchestratorTasks(orch),
        leases=StoreLease(store),
        **({"clock": clock} if clock else {}),
    )
    loop = build_loop(config, deps)
    try:
        async with testing.serving(build_server(config, deps, loop)) as ports:
            yield ports.grpc, loop
    finally:
        await orch.close()
        await store.close()


@dataclass
class Stack:
    """The scheduler and the store and orchestrator it sits on; channels opened here are
    closed at teardown."""

    pki: PkiPaths
    scheduler_port: int
    store_port: int
    orchestrator_port: int = 0
    loop: FiringLoop | None = None
    clock: MovableClock | None = None
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    def scheduler(self, identity: str = "admin:admin") -> service_pb2_grpc.SchedulerServiceStub:
        channel = testing.client_channel(self.pki, self.scheduler_port, identity)
        self._channels.append(channel)
        return service_pb2_grpc.SchedulerServiceStub(channel)

    def store(self) -> ObjectiveServiceStub:
        """The store's ObjectiveService as the scheduler's certificate sees it (to record runs
        the way the firing loop will)."""
        channel = testing.client_channel(self.pki, self.store_port, "svc:scheduler")
        self._channels.append(channel)
        return ObjectiveServiceStub(channel)

    async def tasks(self, workspace_id: str) -> list[Any]:
        """The workspace's objective tasks as the orchestrator lists them."""
        channel = testing.client_channel(self.pki, self.orchestrator_port, "admin:admin")
        self._channels.append(channel)
        reply = await OrchestratorServiceStub(channel).ListTasks(
            orpc.ListTasksRequest(workspace_id=workspace_id, kind="objective", limit=500),
            timeout=5,
        )
        return list(reply.items)

    def _store_as(self, identity: str) -> grpc.aio.Channel:
        channel = testing.client_channel(self.pki, self.store_port, identity)
        self._channels.append(channel)
        return channel

    async def finish_tasks(self, error: str = "", seconds: int = 3) -> list[Any]:
        """Run every queued objective task the way a worker does, through the store (claim,
        `seconds` on the clock, then complete, or fail for good with `error`)."""
        tasks = TaskServiceStub(self._store_as("svc:orchestrator"))
        claimed = await tasks.ClaimTasks(
            task_rpc.ClaimTasksRequest(worker_id="test-worker", max_tasks=100, lease_ms=600_000),
            timeout=5,
        )
        if self.clock is not None:
            self.clock.advance(seconds)
        done = []
        for t in claimed.tasks:
            if error:
                req = task_rpc.FailTaskRequest(
                    id=t.id, lease_token=t.lease_token, error_message=error
                )
                done.append((await tasks.FailTask(req, timeout=5)).task)
            else:
                ok = task_rpc.CompleteTaskRequest(
                    id=t.id, lease_token=t.lease_token, result_summary="ok"
                )
                done.append((await tasks.CompleteTask(ok, timeout=5)).task)
        return done

    async def admin_channel(self, chat: str = "ops-chat") -> Any:
        """A Telegram chat's context made an admin channel (/admin-channel enable); its
        workspace is the one the store gave the chat."""
        ws = WorkspaceServiceStub(self._store_as("svc:gateway"))
        made = await ws.EnsureContext(
            ws_rpc.EnsureContextRequest(connector="telegram", external_id=chat), timeout=5
        )
        await ws.UpdateContext(
            ws_rpc.UpdateContextRequest(id=made.context.id, is_admin=True), timeout=5
        )
        return made.context

    async def outbox(self) -> list[Any]:
        """Every delivery in the store's outbound ledger."""
        ledger = DeliveryServiceStub(self._store_as("admin:admin"))
        reply = await ledger.ListDeliveries(
            delivery_rpc.ListDeliveriesRequest(limit=500), timeout=5
        )
        return list(reply.items)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


@pytest.fixture
async def stack(tmp_path: Path, pki: PkiPaths) -> AsyncIterator[Stack]:
    async with (
        serving_store(pki, tmp_path) as store_ports,
        serving_orchestrator(pki, store_ports.grpc) as orch_port,
        serving_scheduler(pki, store_ports.grpc, orch_port, scheduler_firing=False) as (port, _),
    ):
        env = Stack(pki, port, store_ports.grpc, orch_port)
        try:
            yield env
        finally:
            await env.close()


@pytest.fixture
async def firing(tmp_path: Path, pki: PkiPaths) -> AsyncIterator[Stack]:
    """The scheduler with its firing loop on a moved clock: it looks every 50 ms, and its lease
    outlasts the tests' moves of the clock (the store expires leases by that clock)."""
    clock = MovableClock()
    async with (
        serving_store(pki, tmp_path, clock) as store_ports,
        serving_orchestrator(pki, store_ports.grpc, clock.now) as orch_port,
        serving_scheduler(
            pki,
            store_ports.grpc,
            orch_port,
            clock.now,
            scheduler_tick_seconds=0.05,
            scheduler_lease_ttl_seconds=600.0,
        ) as (port, loop),
    ):
        env = Stack(pki, port, store_ports.grpc, orch_port, loop, clock)
        try:
            yield env
        finally:
            await env.close()


@dataclass(frozen=True)
class Failure:
    code: grpc.StatusCode
    message: str
    details: dict[str, str]


async def failure(call: object) -> Failure:
    """The status of a call expected to fail (with the domain error's details)."""
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as exc:
        err = errors.from_rpc_error(exc)
        return Failure(exc.code(), exc.details() or "", err.details)
    raise AssertionError("the call succeeded")
