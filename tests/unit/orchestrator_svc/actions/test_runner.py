"""The `action` executor over a real store: what it records before and after an effect, and
that it never performs an effect twice (an outcome already recorded, an effect stopped
midway, an unknown action type). The effect here is a plugin of the test's own that counts
its runs and can be held midway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from orchestrator_svc.actions.plugins import Approval, Registry
from orchestrator_svc.actions.runner import ActionExecutor
from store_svc.client import StoreApprovals
from svckit import errors, testing
from svckit.pki import PkiPaths


class Counter:
    key = "counter"
    types = ("count",)

    def __init__(self) -> None:
        self.runs = 0
        self.hold = False
        self.started = asyncio.Event()

    async def execute(self, approval: Approval, payload: Mapping[str, Any]) -> str:
        self.runs += 1
        self.started.set()
        if self.hold:
            await asyncio.Event().wait()  # until cancelled
        return f"counted {payload.get('n', 0)}"


class World:
    def __init__(self, pki: PkiPaths, port: int) -> None:
        self.pki, self.port = pki, port

    async def action(self, action_type: str = "count") -> store.Task:
        """An approved action queued as its task."""
        async with testing.client_channel(self.pki, self.port, "svc:orchestrator") as ch:
            made = await ApprovalServiceStub(ch).CreateApproval(
                arpc.CreateApprovalRequest(
                    workspace_id="ws", context_id="ctx", connector="telegram",
                    external_id="chat", requester_user_id="u", action_type=action_type,
                    payload_json='{"n": 3}',
                )
            )  # fmt: skip
            aid = made.approval.id
            async with testing.client_channel(self.pki, self.port, "svc:gateway") as gw:
                await ApprovalServiceStub(gw).DecideApproval(
                    arpc.DecideApprovalRequest(id=aid, approve=True, approver_user_id="admin")
                )
            task = await TaskServiceStub(ch).CreateTask(
                store_rpc.CreateTaskRequest(
                    workspace_id="ws", context_id="ctx", kind="action", title="t", prompt="p",
                    run_key=f"approval:{aid}",
                )
            )  # fmt: skip
            return task.task

    async def notice(self, key: str) -> str:
        async with testing.client_channel(self.pki, self.port, "svc:connectors") as ch:
            got = await DeliveryServiceStub(ch).GetDelivery(
                drpc.GetDeliveryRequest(idempotency_key=key)
            )
            return got.delivery.status


@pytest.fixture
async def world(pki: PkiPaths, store_port: int) -> AsyncIterator[tuple[World, StoreApprovals]]:
    async with testing.client_channel(pki, store_port, "svc:orchestrator") as ch:
        yield World(pki, store_port), StoreApprovals(ch)


async def test_running_then_succeeded_and_a_second_run_does_nothing(
    world: tuple[World, StoreApprovals],
) -> None:
    w, approvals = world
    counter = Counter()
    executor = ActionExecutor(approvals, Registry([counter]))
    task = await w.action()
    aid = task.run_key.removeprefix("approval:")
    out = await executor.run(task)
    assert out.text == "counted 3" and counter.runs == 1
    done = await approvals.get(aid)
    assert (done.execution_status, done.executor_plugin) == ("succeeded", "counter")
    assert await w.notice(f"approval:{aid}:succeeded") == "pending"
    again = await executor.run(task)  # a reclaimed or retried task: the outcome stands
    assert again.text == "counted 3" and counter.runs == 1


async def test_an_effect_stopped_midway_is_unknown_and_not_repeated(
    world: tuple[World, StoreApprovals],
) -> None:
    w, approvals = world
    counter = Counter()
    counter.hold = True
    executor = ActionExecutor(approvals, Registry([counter]))
    task = await w.action()
    aid = task.run_key.removeprefix("approval:")
    running = asyncio.ensure_future(executor.run(task))
    await counter.started.wait()
    assert (await approvals.get(aid)).execution_status == "running"  # written before
    running.cancel()  # a cancel or a drain stops the worker midway
    with pytest.raises(asyncio.CancelledError):
        await running
    assert (await approvals.get(aid)).execution_status == "unknown"
    assert await w.notice(f"approval:{aid}:unknown") == "pending"
    with pytest.raises(errors.FailedPrecondition, match="action unknown"):
        await executor.run(task)  # claimed again: never run twice
    assert counter.runs == 1


async def test_an_unknown_action_type_fails_without_an_effect(
    world: tuple[World, StoreApprovals],
) -> None:
    w, approvals = world
    counter = Counter()
    task = await w.action("teleport")
    with pytest.raises(errors.FailedPrecondition, match="action plugin not found: teleport"):
        await ActionExecutor(approvals, Registry([counter])).run(task)
    failed = await approvals.get(task.run_key.removeprefix("approval:"))
    assert (failed.execution_status, counter.runs) == ("failed", 0)
