"""Calls that arrive together travel together: the items asked for within one event-loop
iteration (up to `max_batch`) go out in one call, and each caller still gets its own result
or its own error. The store's batch RPCs (CreateTasks and CompleteTasks for the
orchestrator, BeginInbounds and CompleteInbounds for the gateway) apply each item on its
own, so a refused item fails only its caller. Under load many callers share one round trip;
alone, a caller waits one loop iteration."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from svckit.errors import DomainError

Item = TypeVar("Item")
Result = TypeVar("Result")
# One call for a batch: one outcome per item, in order (its result, or the error refusing
# it); raising fails every item of the batch.
SendBatch = Callable[[list[Item]], Awaitable[Sequence[Result | DomainError]]]


class Coalescer(Generic[Item, Result]):
    """`max_in_flight` (None: no limit) caps the batches out at once: while they are, new
    items wait for one of them to come back and then go out together, so under load the
    batches grow with the callee's latency instead of each loop iteration sending its own."""

    def __init__(
        self, send: SendBatch[Item, Result], max_batch: int = 100, max_in_flight: int | None = None
    ) -> None:
        self._send_batch = send
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """`item`'s outcome once its batch has been sent."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Result] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((item, fut))
        if len(self._pending) >= self._max_batch:
            self._flush()
        return await fut

    def _flush(self) -> None:
        while self._pending:
            if self._max_in_flight is not None and len(self._sending) >= self._max_in_flight:
                return  # the next batch goes when one out comes back (`_sent`)
            batch = self._pending[: self._max_batch]
            self._pending = self._pending[self._max_batch :]
            task = asyncio.ensure_future(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._flush()

    async def _send(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            outcomes = await self._send_batch([item for item, _ in batch])
        except Exception as exc:  # the whole call failed: every caller hears it
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), outcome in zip(batch, outcomes, strict=True):
            if fut.done():
                continue  # the caller gave up (canceled); the item was still applied
            if isinstance(outcome, DomainError):
                fut.set_exception(outcome)
            else:
                fut.set_result(outcome)
