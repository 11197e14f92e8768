"""Completions that finish together reach the store together: the completions requested in
one event-loop iteration go out as one CompleteTasks call; each worker still hears whether
its own completion was applied (a refusal comes back as the domain error it stands for)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors

MAX_BATCH = 100

Send = Callable[[rpc.CompleteTasksRequest], Awaitable[rpc.CompleteTasksResponse]]
_Pending = tuple[rpc.TaskCompletion, "asyncio.Future[None]"]


class CompleteBatcher:
    def __init__(self, send: Send) -> None:
        self._send_call = send
        self._pending: list[_Pending] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def complete(self, completion: rpc.TaskCompletion) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((completion, fut))
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        await fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.ensure_future(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Pending]) -> None:
        try:
            reply = await self._send_call(
                rpc.CompleteTasksRequest(completions=[c for c, _ in batch])
            )
        except errors.DomainError as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, reply.results, strict=True):
            if fut.done():
                continue
            if result.completed:
                fut.set_result(None)
            else:
                fut.set_exception(errors.build(result.code, result.message))
