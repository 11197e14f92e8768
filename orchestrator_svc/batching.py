"""Enqueues that arrive together reach the store together: the creates requested within one
event-loop iteration go out as one CreateTasks call (the store commits them in one
transaction), and each caller still gets its own task or its own error. The call itself is
the store facade's (`clients.StoreTasks`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors
from svckit.batches import refusal
from svckit.coalesce import Coalescer

MAX_BATCH = 100
# CreateTasks calls out at once: the enqueues that arrive meanwhile share the next one.
IN_FLIGHT = 2

# The store's CreateTasks; raises svckit.errors when the whole call fails.
SendBatch = Callable[[rpc.CreateTasksRequest], Awaitable[rpc.CreateTasksResponse]]


class CreateBatcher:
    def __init__(self, send: SendBatch) -> None:
        self._send_batch = send
        self._creates: Coalescer[rpc.CreateTaskRequest, store.Task] = Coalescer(
            self._send, MAX_BATCH, IN_FLIGHT
        )

    async def create(self, req: rpc.CreateTaskRequest) -> store.Task:
        """The stored task, or the domain error the store gave for this one request."""
        return await self._creates.submit(req)

    async def _send(
        self, reqs: list[rpc.CreateTaskRequest]
    ) -> list[store.Task | errors.DomainError]:
        try:
            reply = await self._send_batch(rpc.CreateTasksRequest(tasks=reqs))
        except Exception as exc:
            if isinstance(exc, errors.DomainError):
                raise
            raise errors.from_rpc_error(exc) from None
        out: list[store.Task | errors.DomainError] = []
        for result in reply.results:
            if result.code:
                out.append(refusal(result, "existing_id"))
            else:
                out.append(result.task)
        return out
