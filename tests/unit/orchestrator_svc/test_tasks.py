"""EnqueueTask, GetTask, ListTasks, RetryTask and CancelTask against a real store."""

from __future__ import annotations

import time

import grpc
import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from tests.fakes import SteppedClock
from tests.unit.orchestrator_svc.conftest import (
    ACTING_ADMIN,
    Client,
    Connect,
    refused,
)


async def test_enqueue_persists_a_queued_task_that_get_returns(admin: Client) -> None:
    reply = await admin.enqueue(
        workspace_id=" ws ",
        title=" Write the report ",
        source_connector="telegram",
        source_external_id="chat-1",
        source_user_id="u1",
        source_text="/task write the report",
    )
    task = reply.task
    assert reply.created
    assert (task.workspace_id, task.context_id, task.title) == ("ws", "ctx", "Write the report")
    assert (task.kind, task.status, task.queue_lane, task.attempts) == (
        "general",
        "queued",
        "task",
        0,
    )
    assert (task.source_connector, task.source_external_id) == ("telegram", "chat-1")
    assert task.max_attempts == 3 and task.created_at_unix > 0 and task.due_at_unix == 0
    got = await admin.orch.GetTask(rpc.GetTaskRequest(id=task.id))
    assert got.task == task


@pytest.mark.parametrize(
    ("kind", "lane"),
    [
        ("turn", "turn"),
        ("general", "task"),
        ("objective", "background"),
        ("reindex_markdown", "background"),
    ],
)
async def test_queue_lane_follows_the_kind_unless_given(
    admin: Client, kind: str, lane: str
) -> None:
    assert (await admin.enqueue(kind=kind)).task.queue_lane == lane
    assert (await admin.enqueue(kind=kind, queue_lane="Turn")).task.queue_lane == "turn"


async def test_a_routed_task_gets_its_class_defaults(admin: Client) -> None:
    before = int(time.time())
    task = (await admin.enqueue(route_class="Task")).task
    assert (task.route_class, task.priority, task.assigned_lane) == ("task", "p2", "operations")
    assert before + 24 * 3600 <= task.due_at_unix <= int(time.time()) + 24 * 3600
    given = (await admin.enqueue(route_class="issue", priority="p1", due_at_unix=123)).task
    assert (given.priority, given.due_at_unix, given.assigned_lane) == ("p1", 123, "operations")
    noise = (await admin.enqueue(route_class="noise")).task
    assert (noise.priority, noise.due_at_unix, noise.assigned_lane) == ("p3", 0, "backlog")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"workspace_id": ""}, "workspace_id"),
        ({"context_id": "  "}, "context_id"),
        ({"title": "\t"}, "title"),
        ({"prompt": ""}, "prompt"),
        ({"kind": "cook"}, "kind"),
        ({"route_class": "urgent"}, "route_class"),
        ({"priority": "p4"}, "priority"),
        ({"queue_lane": "fast"}, "queue_lane"),
        ({"max_attempts": 1000}, "max_attempts"),
    ],
)
async def test_bad_enqueue_names_the_field_and_stores_nothing(
    admin: Client, fields: dict[str, object], field: str
) -> None:
    err = await refused(admin.enqueue(**fields))
    assert (err.code, err.details.get("field")) == ("INVALID_ARGUMENT", field)
    assert (await admin.orch.ListTasks(rpc.ListTasksRequest())).count == 0


async def test_run_key_makes_enqueue_idempotent(connect: Connect) -> None:
    scheduler = await connect("svc:scheduler")
    first = await scheduler.enqueue(kind="objective", run_key="objective:o1:1", workspace_id="wk")
    again = await scheduler.enqueue(kind="objective", run_key="objective:o1:1", workspace_id="wk")
    assert first.created and not again.created
    assert again.task == first.task
    listing = await scheduler.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wk"))
    assert [t.id for t in listing.items] == [first.task.id]


async def test_enqueue_tasks_handles_each_task_on_its_own(connect: Connect) -> None:
    """The scheduler's batch: each task created, found by its run key, or refused alone."""
    scheduler = await connect("svc:scheduler")
    first = await scheduler.enqueue(kind="objective", run_key="objective:o1:1", workspace_id="wk")

    def task(run_key: str, **kw: str) -> rpc.EnqueueTaskRequest:
        fields = {"workspace_id": "wk", "context_id": "c", "title": "t", "prompt": "p"}
        return rpc.EnqueueTaskRequest(kind="objective", run_key=run_key, **{**fields, **kw})

    batch = [task("objective:o1:1"), task("objective:o2:1"), task("objective:o3:1", title=" ")]
    reply = await scheduler.orch.EnqueueTasks(rpc.EnqueueTasksRequest(tasks=batch))
    found, made, bad = reply.results
    assert (found.task.id, found.created, found.code) == (first.task.id, False, "")
    assert made.created and made.task.run_key == "objective:o2:1" and made.task.status == "queued"
    assert (bad.code, bad.field, bad.HasField("task")) == ("INVALID_ARGUMENT", "title", False)
    listing = await scheduler.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wk"))
    assert sorted(t.id for t in listing.items) == sorted([first.task.id, made.task.id])
    empty = await refused(scheduler.orch.EnqueueTasks(rpc.EnqueueTasksRequest()))
    assert (empty.code, empty.details.get("field")) == ("INVALID_ARGUMENT", "tasks")


async def test_get_unknown_task_is_not_found(admin: Client) -> None:
    assert (await refused(admin.orch.GetTask(rpc.GetTaskRequest(id="nope")))).code == "NOT_FOUND"
    err = await refused(admin.orch.GetTask(rpc.GetTaskRequest(id=" ")))
    assert (err.code, err.details.get("field")) == ("INVALID_ARGUMENT", "id")


async def test_list_filters_newest_change_first_and_pages(
    admin: Client, store_clock: SteppedClock
) -> None:
    a = (await admin.enqueue(workspace_id="wl", context_id="c1")).task
    b = (await admin.enqueue(workspace_id="wl", context_id="c2", kind="turn")).task
    c = (await admin.enqueue(workspace_id="wl", context_id="c1")).task
    await admin.enqueue(workspace_id="other")
    store_clock.advance(1)
    await admin.orch.CancelTask(rpc.CancelTaskRequest(task_id=a.id))  # a changed last

    def ids(reply: rpc.ListTasksResponse) -> list[str]:
        return [t.id for t in reply.items]

    everything = await admin.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wl"))
    assert ids(everything) == [a.id, c.id, b.id] and everything.count == 3
    by_ctx = await admin.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wl", context_id="c1"))
    assert ids(by_ctx) == [a.id, c.id]
    turns = await admin.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wl", kind="turn"))
    assert ids(turns) == [b.id]
    canceled = await admin.orch.ListTasks(
        rpc.ListTasksRequest(workspace_id="wl", status="canceled")
    )
    assert ids(canceled) == [a.id]

    first = await admin.orch.ListTasks(rpc.ListTasksRequest(workspace_id="wl", limit=2))
    assert ids(first) == [a.id, c.id] and first.next_page_token
    rest = await admin.orch.ListTasks(
        rpc.ListTasksRequest(workspace_id="wl", limit=2, page_token=first.next_page_token)
    )
    assert ids(rest) == [b.id] and not rest.next_page_token
    all_ws = await admin.orch.ListTasks(rpc.ListTasksRequest(limit=600))
    assert all_ws.count == 4


async def test_list_refuses_bad_filters(connect: Connect) -> None:
    admin, scheduler = await connect("admin:admin"), await connect("svc:scheduler")
    for req, field in [
        (rpc.ListTasksRequest(workspace_id="w", limit=-1), "limit"),
        (rpc.ListTasksRequest(workspace_id="w", status="lost"), "status"),
        (rpc.ListTasksRequest(workspace_id="w", kind="cook"), "kind"),
    ]:
        err = await refused(admin.orch.ListTasks(req))
        assert (err.code, err.details.get("field")) == ("INVALID_ARGUMENT", field)
    # every workspace at once is an admin's view
    err = await refused(scheduler.orch.ListTasks(rpc.ListTasksRequest()))
    assert (err.code, err.details.get("field")) == ("INVALID_ARGUMENT", "workspace_id")


async def test_retry_copies_a_failed_task_into_a_new_queued_one(admin: Client) -> None:
    old = (
        await admin.enqueue(
            kind="turn", route_class="question", source_connector="discord", source_text="hi?"
        )
    ).task
    await admin.fail(old.id)
    reply = await admin.orch.RetryTask(rpc.RetryTaskRequest(task_id=old.id))
    assert reply.task_id != old.id
    copied = (reply.retry_of_task, reply.workspace_id, reply.context_id, reply.kind)
    assert copied == (old.id, "ws", "ctx", "turn") and reply.status == "queued"
    new = (await admin.orch.GetTask(rpc.GetTaskRequest(id=reply.task_id))).task
    assert new.attempts == 0 and new.retry_of_task == old.id
    for name in ("title", "prompt", "route_class", "priority", "due_at_unix", "assigned_lane",
                 "source_connector", "source_text", "queue_lane"):  # fmt: skip
        assert getattr(new, name) == getattr(old, name), name
    # the original is unchanged
    assert (await admin.orch.GetTask(rpc.GetTaskRequest(id=old.id))).task.status == "failed"


async def test_retry_refuses_what_did_not_fail(admin: Client) -> None:
    queued = (await admin.enqueue()).task
    err = await refused(admin.orch.RetryTask(rpc.RetryTaskRequest(task_id=queued.id)))
    assert (err.code, err.message) == ("FAILED_PRECONDITION", "only failed tasks can be retried")
    missing = await refused(admin.orch.RetryTask(rpc.RetryTaskRequest(task_id="nope")))
    assert missing.code == "NOT_FOUND"
    empty = await refused(admin.orch.RetryTask(rpc.RetryTaskRequest()))
    assert (empty.code, empty.details.get("field")) == ("INVALID_ARGUMENT", "task_id")


async def test_retry_and_cancel_need_an_admin_behind_the_gateway(connect: Connect) -> None:
    gateway = await connect("svc:gateway")
    task = (await gateway.enqueue()).task
    await gateway.fail(task.id)
    for call in (
        gateway.orch.RetryTask(rpc.RetryTaskRequest(task_id=task.id)),
        gateway.orch.CancelTask(rpc.CancelTaskRequest(task_id=task.id)),
    ):
        assert (await refused(call)).code == "PERMISSION_DENIED"
    # the same calls relayed for an authenticated admin are allowed
    reply = await gateway.orch.RetryTask(
        rpc.RetryTaskRequest(task_id=task.id), metadata=ACTING_ADMIN
    )
    assert reply.status == "queued"
    scheduler = await connect("svc:scheduler")
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await scheduler.orch.RetryTask(rpc.RetryTaskRequest(task_id=task.id))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_cancel_queued_and_running_tasks_but_not_finished_ones(admin: Client) -> None:
    queued = (await admin.enqueue()).task
    reply = await admin.orch.CancelTask(
        rpc.CancelTaskRequest(task_id=queued.id, reason=" not needed ")
    )
    assert (reply.task.status, reply.task.cancel_reason) == ("canceled", "not needed")
    assert reply.task.finished_at_unix > 0

    running = (await admin.enqueue()).task
    await admin.claim(running.id)
    asked = await admin.orch.CancelTask(rpc.CancelTaskRequest(task_id=running.id))
    # cooperative: running until its worker stops it (tests/unit/orchestrator_svc/test_workers)
    assert asked.task.status == "running" and asked.task.cancel_requested_at_unix > 0

    again = await refused(admin.orch.CancelTask(rpc.CancelTaskRequest(task_id=queued.id)))
    assert again.code == "FAILED_PRECONDITION"
    missing = await refused(admin.orch.CancelTask(rpc.CancelTaskRequest(task_id="nope")))
    assert missing.code == "NOT_FOUND"
