"""WatchTasks: snapshots, live changes, filters, resuming, and a client that goes away."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from tests.unit.orchestrator_svc.conftest import Client, Connect, refused

DEADLINE = 15.0


async def next_event(call: Any) -> rpc.WatchTasksResponse:
    reply = await asyncio.wait_for(call.read(), DEADLINE)
    assert reply is not grpc.aio.EOF, "the watch ended"
    assert isinstance(reply, rpc.WatchTasksResponse)
    return reply


async def test_watch_sends_existing_tasks_then_changes_as_they_happen(admin: Client) -> None:
    existing = (await admin.enqueue(workspace_id="ww", title="existing")).task
    done = (await admin.enqueue(workspace_id="ww")).task
    await admin.orch.CancelTask(rpc.CancelTaskRequest(task_id=done.id))

    call = admin.orch.WatchTasks(rpc.WatchTasksRequest(workspace_id="ww", include_existing=True))
    snapshot = (await next_event(call)).event
    assert (snapshot.event, snapshot.task.id, snapshot.task.title) == (
        "snapshot",
        existing.id,
        "existing",
    )

    await admin.enqueue(workspace_id="elsewhere")  # filtered out
    new = (await admin.enqueue(workspace_id="ww", title="new", kind="turn")).task
    queued = (await next_event(call)).event
    assert (queued.event, queued.task.id, queued.task.status) == ("queued", new.id, "queued")
    assert queued.cursor and queued.occurred_at_unix_ms > 0

    token = await admin.claim(new.id)
    started = (await next_event(call)).event
    assert (started.event, started.task.id, started.task.attempts) == ("started", new.id, 1)
    await admin.orch.CancelTask(rpc.CancelTaskRequest(task_id=new.id, reason="enough"))
    # the worker (here: the test) stops and gives the lease back: now it is canceled
    release = store_rpc.TaskRelease(id=new.id, lease_token=token)
    await admin.worker.ReleaseTasks(store_rpc.ReleaseTasksRequest(releases=[release]))
    canceled = (await next_event(call)).event
    assert (canceled.event, canceled.task.cancel_reason) == ("canceled", "enough")
    call.cancel()


async def test_watch_one_task_and_resume_after_a_cursor(admin: Client) -> None:
    task = (await admin.enqueue()).task
    call = admin.orch.WatchTasks(rpc.WatchTasksRequest(task_id=task.id, include_existing=True))
    first = (await next_event(call)).event
    assert (first.event, first.task.id) == ("snapshot", task.id)
    call.cancel()

    await admin.fail(task.id, retryable=True)  # back in the queue for its second attempt
    resumed = admin.orch.WatchTasks(
        rpc.WatchTasksRequest(task_id=task.id, after_cursor=first.cursor)
    )
    retry = (await next_event(resumed)).event
    assert (retry.event, retry.task.status, retry.task.attempts) == ("retrying", "queued", 1)
    assert retry.task.error_message == "boom"
    resumed.cancel()


async def test_watch_refuses_unknown_tasks_and_bad_cursors(admin: Client) -> None:
    async def first(req: rpc.WatchTasksRequest) -> None:
        async for _ in admin.orch.WatchTasks(req):
            return

    missing = await refused(first(rpc.WatchTasksRequest(task_id="nope")))
    assert missing.code == "NOT_FOUND"
    bad = await refused(first(rpc.WatchTasksRequest(after_cursor="not a cursor")))
    assert (bad.code, bad.details.get("field")) == ("INVALID_ARGUMENT", "after_cursor")
    kind = await refused(first(rpc.WatchTasksRequest(kind="cook")))
    assert (kind.code, kind.details.get("field")) == ("INVALID_ARGUMENT", "kind")


async def test_a_client_that_goes_away_ends_its_watch_cleanly(connect: Connect) -> None:
    gateway = await connect("svc:gateway")
    await gateway.enqueue(workspace_id="gone", title="first")
    watch = rpc.WatchTasksRequest(workspace_id="gone", include_existing=True)
    call = gateway.orch.WatchTasks(watch)
    assert (await next_event(call)).event.event == "snapshot"  # the watch is in place
    call.cancel()
    assert await call.code() == grpc.StatusCode.CANCELLED
    # the service goes on serving everyone else
    again = gateway.orch.WatchTasks(watch)
    await next_event(again)
    await gateway.enqueue(workspace_id="gone", title="second")
    assert (await next_event(again)).event.task.title == "second"
    again.cancel()
