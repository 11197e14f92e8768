"""The watch's polling over an in-memory task list: one event per status change, none for a
change that leaves the status as it was, cursors that round-trip."""

from __future__ import annotations

import asyncio

import pytest

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc.listing import TaskQuery
from orchestrator_svc.watch import Filter, Pulse, Watch, decode_cursor, encode_cursor
from svckit.errors import InvalidArgument, NotFound


class MemoryTasks:
    """A store's task listing, newest change first, held in memory."""

    def __init__(self) -> None:
        self.rows: dict[str, store.Task] = {}

    def put(self, **kw: object) -> None:
        row = store.Task(**kw)  # type: ignore[arg-type]
        self.rows[row.id] = row

    async def get(self, task_id: str) -> store.Task:
        if task_id not in self.rows:
            raise NotFound("task not found")
        return self.rows[task_id]

    async def list(self, query: TaskQuery) -> store_rpc.ListTasksResponse:
        rows = [
            r
            for r in self.rows.values()
            if (not query.workspace_id or r.workspace_id == query.workspace_id)
            and (not query.status or r.status == query.status)
        ]
        rows.sort(key=lambda r: -r.updated_at_unix)
        return store_rpc.ListTasksResponse(items=rows, count=len(rows))


async def test_one_event_per_status_change_only() -> None:
    tasks, now = MemoryTasks(), [1000.0]
    tasks.put(id="a", workspace_id="w", status="queued", updated_at_unix=1000)
    pulse = Pulse()
    watch = Watch(tasks, Filter(workspace_id="w"), lambda: now[0], 0.01, pulse)
    stream = watch.changes(include_existing=True, after_cursor="")
    first = await asyncio.wait_for(anext(stream), 5)
    assert (first.event, first.task.id) == ("snapshot", "a")

    # a routing change moves updated_at but not the status: nothing to tell
    tasks.put(id="a", workspace_id="w", status="queued", updated_at_unix=1005, priority="p1")
    tasks.put(id="b", workspace_id="w", status="running", attempts=1, updated_at_unix=1010)
    tasks.put(id="x", workspace_id="other", status="queued", updated_at_unix=1010)
    change = await asyncio.wait_for(anext(stream), 5)
    assert (change.event, change.task.id) == ("started", "b")

    tasks.put(id="b", workspace_id="w", status="queued", attempts=1, updated_at_unix=1020)
    retry = await asyncio.wait_for(anext(stream), 5)
    assert (retry.event, retry.task.id) == ("retrying", "b")
    tasks.put(id="a", workspace_id="w", status="dead", attempts=3, updated_at_unix=1030)
    dead = await asyncio.wait_for(anext(stream), 5)
    assert (dead.event, dead.task.id) == ("dead", "a")
    await stream.aclose()


def test_cursors_round_trip_and_garbage_is_refused() -> None:
    row = store.Task(id="t-1", status="running", attempts=2, updated_at_unix=1234)
    assert decode_cursor(encode_cursor(row)) == (1234, "t-1", ("running", 2))
    for bad in ("", "%%%", encode_cursor(row)[:-3]):
        with pytest.raises(InvalidArgument):
            decode_cursor(bad)
