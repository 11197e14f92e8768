"""Enqueues that arrive together reach the store in one CreateTasks call, and each caller
still gets its own outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc.batching import CreateBatcher
from svckit import errors
from tests.unit.orchestrator_svc.conftest import Connect


class CountingStore:
    """Answers CreateTasks like the store: a task per request, ALREADY_EXISTS on a reused
    run_key, INVALID_ARGUMENT on an empty title."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.keys: dict[str, str] = {}

    async def CreateTasks(self, req: store_rpc.CreateTasksRequest, **_: Any) -> Any:
        self.calls.append(len(req.tasks))
        results = []
        for i, t in enumerate(req.tasks):
            tid = f"t{len(self.calls)}-{i}"
            if not t.title:
                results.append(store_rpc.CreateTasksResult(code="INVALID_ARGUMENT", field="title"))
            elif t.run_key in self.keys:
                existing = self.keys[t.run_key]
                results.append(
                    store_rpc.CreateTasksResult(code="ALREADY_EXISTS", existing_id=existing)
                )
            else:
                if t.run_key:
                    self.keys[t.run_key] = tid
                results.append(store_rpc.CreateTasksResult(task=store.Task(id=tid, title=t.title)))
        return store_rpc.CreateTasksResponse(results=results)


async def test_creates_of_one_loop_iteration_share_one_call() -> None:
    fake = CountingStore()
    batcher = CreateBatcher(fake.CreateTasks)
    reqs = [store_rpc.CreateTaskRequest(title=f"n{i}") for i in range(10)]
    reqs += [store_rpc.CreateTaskRequest(title="", run_key="")]
    reqs += [store_rpc.CreateTaskRequest(title="k", run_key="same")] * 2
    outcomes = await asyncio.gather(*(batcher.create(r) for r in reqs), return_exceptions=True)
    assert fake.calls == [13]
    assert [o.title for o in outcomes[:10]] == [f"n{i}" for i in range(10)]  # type: ignore[union-attr]
    bad, first, second = outcomes[10:]
    assert isinstance(bad, errors.InvalidArgument) and bad.field == "title"
    assert isinstance(first, store.Task)
    assert isinstance(second, errors.AlreadyExists) and second.existing_id == first.id


async def test_concurrent_enqueues_are_each_stored_once(connect: Connect) -> None:
    gateway = await connect("svc:gateway")
    replies = await asyncio.gather(
        *(gateway.enqueue(workspace_id="wb", title=f"job {i}") for i in range(25)),
        gateway.enqueue(workspace_id="wb", run_key="k1"),
        gateway.enqueue(workspace_id="wb", run_key="k1"),
    )
    listing = await gateway.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wb", limit=100))
    assert len(listing.items) == 26
    keyed = replies[25:]
    assert sorted(r.created for r in keyed) == [False, True]
    assert keyed[0].task.id == keyed[1].task.id


@pytest.mark.parametrize("title", ["", "   "])
async def test_a_bad_enqueue_in_a_batch_fails_alone(connect: Connect, title: str) -> None:
    gateway = await connect("svc:gateway")
    good, bad = await asyncio.gather(
        gateway.enqueue(workspace_id="wc"),
        gateway.enqueue(workspace_id="wc", title=title),
        return_exceptions=True,
    )
    assert isinstance(good, rpc.EnqueueTaskResponse) and good.created
    assert isinstance(bad, Exception)
