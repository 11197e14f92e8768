"""The orchestrator on port 0 over a real store_svc (SQLite in a temporary folder), both with
mTLS from one throwaway PKI; clients call the orchestrator as the identity a test names."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from orchestrator_svc.clients import StoreTasks, open_store_channel
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.server import build_server
from svckit import errors, testing
from svckit.pki import PkiPaths
from svckit.serve import Ports
from tests.fakes import SteppedClock
from tests.stores import serving_store

ACTING_ADMIN = (("x-acting-admin", "admin:alice"),)


@pytest.fixture
def store_clock() -> SteppedClock:
    """The store's clock: real time, moved forward by tests that need a later change to
    carry a later timestamp (the store records whole seconds)."""
    return SteppedClock()


@pytest.fixture
async def store_port(
    pki: PkiPaths, tmp_path: Path, store_clock: SteppedClock
) -> AsyncIterator[int]:
    async with serving_store(pki, tmp_path, store_clock) as ports:
        yield ports.grpc


def orchestrator_settings(pki: PkiPaths, store_port: int) -> OrchestratorSettings:
    return OrchestratorSettings(
        pki_dir=pki.root,
        grpc_port=0,
        health_port=0,
        metrics_port=0,
        store_addr=f"127.0.0.1:{store_port}",
        rpc_timeout_seconds=5,
    )


@pytest.fixture
async def ports(pki: PkiPaths, store_port: int) -> AsyncIterator[Ports]:
    settings = orchestrator_settings(pki, store_port)
    channel = open_store_channel(settings)
    deps = Deps(tasks=StoreTasks(channel), watch_poll_seconds=0.05)
    try:
        async with testing.serving(build_server(settings, deps)) as ports:
            yield ports
    finally:
        await channel.close()


@dataclass
class Client:
    """The orchestrator as one caller sees it, plus the store as a worker would use it."""

    orch: OrchestratorServiceStub
    worker: TaskServiceStub

    async def enqueue(self, **kw: Any) -> rpc.EnqueueTaskResponse:
        base = {"workspace_id": "ws", "context_id": "ctx", "title": "t", "prompt": "p"}
        reply: rpc.EnqueueTaskResponse = await self.orch.EnqueueTask(
            rpc.EnqueueTaskRequest(**{**base, **kw})
        )
        return reply

    async def claim(self, task_id: str) -> int:
        """Lease tasks of `task_id`'s lane and kind, oldest first, until it is leased; its
        fencing token. (A queue has no claim-by-id: older tasks of its lane go first.)"""
        task = (await self.worker.GetTask(store_rpc.GetTaskRequest(id=task_id))).task
        for _ in range(50):
            got = await self.worker.ClaimTasks(
                store_rpc.ClaimTasksRequest(
                    worker_id="w1", max_tasks=1, lanes=[task.lane], kinds=[task.kind]
                )
            )
            for t in got.tasks:
                if t.id == task_id:
                    return int(t.lease_token)
        raise AssertionError(f"task {task_id} was never claimable")

    async def fail(self, task_id: str, *, retryable: bool = False) -> None:
        token = await self.claim(task_id)
        await self.worker.FailTask(
            store_rpc.FailTaskRequest(
                id=task_id, lease_token=token, error_message="boom", retryable=retryable
            )
        )


Connect = Callable[[str], Awaitable[Client]]


@pytest.fixture
async def connect(pki: PkiPaths, ports: Ports, store_port: int) -> AsyncIterator[Connect]:
    """`await connect("svc:gateway")`: a client of the orchestrator with that identity."""
    channels: list[grpc.aio.Channel] = []
    worker_channel = testing.client_channel(pki, store_port, "svc:orchestrator")
    channels.append(worker_channel)

    async def make(identity: str) -> Client:
        channel = testing.client_channel(pki, ports.grpc, identity)
        channels.append(channel)
        return Client(OrchestratorServiceStub(channel), TaskServiceStub(worker_channel))

    yield make
    for channel in channels:
        await channel.close()


@pytest.fixture
async def admin(connect: Connect) -> Client:
    return await connect("admin:admin")


async def refused(call: Awaitable[object]) -> errors.DomainError:
    """The domain error a call fails with (fails the test if it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return errors.from_rpc_error(exc)
    raise AssertionError("the call succeeded")
