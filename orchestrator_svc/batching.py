"""Enqueues that arrive together reach the store together: the creates requested within one
event-loop iteration go out as one CreateTasks call (the store commits them in one
transaction), and each caller still gets its own task or its own error. The call itself is
the store facade's (`clients.StoreTasks`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors
from svckit.coalesce import Coalescer

MAX_BATCH = 100
# CreateTasks calls out at once: the enqueues that arrive meanwhile share the next one.
IN_FLIGHT = 2
Item = TypeVar("Item")
Result = TypeVar("Result")

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
                found = {"field": result.field, "existing_id": result.existing_id}
                details = {k: v for k, v in found.items() if v}
                out.append(errors.build(result.code, result.message, details))
            else:
                out.append(result.task)
        return out


async def each(
    fn: Callable[[Item], Awaitable[Result]], items: list[Item], *, field: str
) -> list[Result | errors.DomainError]:
    """`fn` on every item at once (up to MAX_BATCH), each on its own: its result or the
    domain error refusing it, in order; any other error fails the whole call."""
    if not items:
        raise errors.InvalidArgument(f"{field} must not be empty", field=field)
    if len(items) > MAX_BATCH:
        raise errors.InvalidArgument(f"at most {MAX_BATCH} {field} per call", field=field)
    results = await asyncio.gather(*(fn(item) for item in items), return_exceptions=True)
    out: list[Result | errors.DomainError] = []
    for r in results:
        if isinstance(r, errors.DomainError) or not isinstance(r, BaseException):
            out.append(r)
        else:
            raise r
    return out
