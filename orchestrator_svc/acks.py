"""Completions that finish together reach the store together: the completions requested in
one event-loop iteration go out as one CompleteTasks call; each worker still hears whether
its own completion was applied (a refusal comes back as the domain error it stands for)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors
from svckit.coalesce import Coalescer

MAX_BATCH = 100
# CompleteTasks calls out at once: the completions that finish meanwhile share the next one.
IN_FLIGHT = 2

Send = Callable[[rpc.CompleteTasksRequest], Awaitable[rpc.CompleteTasksResponse]]


class CompleteBatcher:
    def __init__(self, send: Send) -> None:
        self._send_call = send
        self._completions: Coalescer[rpc.TaskCompletion, None] = Coalescer(
            self._send, MAX_BATCH, IN_FLIGHT
        )

    async def complete(self, completion: rpc.TaskCompletion) -> None:
        await self._completions.submit(completion)

    async def _send(self, completions: list[rpc.TaskCompletion]) -> list[errors.DomainError | None]:
        reply = await self._send_call(rpc.CompleteTasksRequest(completions=completions))
        return [
            None if result.completed else errors.build(result.code, result.message)
            for result in reply.results
        ]
