"""Enqueues that arrive together reach the store together: the creates requested within one
event-loop iteration go out as one CreateTasks call (the store commits them in one
transaction), and each caller still gets its own task or its own error. The call itself is
the store facade's (`clients.StoreTasks`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors

MAX_BATCH = 100

_Pending = tuple[rpc.CreateTaskRequest, "asyncio.Future[store.Task]"]
# The store's CreateTasks; raises svckit.errors when the whole call fails.
SendBatch = Callable[[rpc.CreateTasksRequest], Awaitable[rpc.CreateTasksResponse]]


class CreateBatcher:
    def __init__(self, send: SendBatch) -> None:
        self._send_batch = send
        self._pending: list[_Pending] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def create(self, req: rpc.CreateTaskRequest) -> store.Task:
        """The stored task, or the domain error the store gave for this one request."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[store.Task] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((req, fut))
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        return await fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.ensure_future(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Pending]) -> None:
        try:
            reply = await self._send_batch(rpc.CreateTasksRequest(tasks=[req for req, _ in batch]))
        except Exception as exc:  # the whole call failed: every caller hears it
            err = exc if isinstance(exc, errors.DomainError) else errors.from_rpc_error(exc)
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(err)
            return
        for (_, fut), result in zip(batch, reply.results, strict=True):
            if fut.done():
                continue  # the caller gave up (canceled); the task was still stored
            if result.code:
                found = {"field": result.field, "existing_id": result.existing_id}
                details = {k: v for k, v in found.items() if v}
                fut.set_exception(errors.build(result.code, result.message, details))
            else:
                fut.set_result(result.task)
