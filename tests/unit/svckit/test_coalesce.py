"""svckit.coalesce: items asked for together go out together, each caller gets its own
result or its own error, and with `max_in_flight` the items that arrive while batches are
out wait for one to come back and then share the next."""

from __future__ import annotations

import asyncio

import pytest

from svckit.coalesce import Coalescer
from svckit.errors import DomainError, NotFound


class Callee:
    """Doubles each number, refuses negative ones; holds each batch until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.arrived = asyncio.Event()

    async def send(self, items: list[int]) -> list[int | DomainError]:
        self.batches.append(items)
        self.arrived.set()
        await self.release.wait()
        return [NotFound(f"no {n}") if n < 0 else n * 2 for n in items]


async def test_items_waiting_for_the_batch_out_share_the_next_one() -> None:
    callee = Callee()
    coalescer: Coalescer[int, int] = Coalescer(callee.send, max_batch=3, max_in_flight=1)
    first = asyncio.ensure_future(coalescer.submit(1))
    await callee.arrived.wait()
    later = [asyncio.ensure_future(coalescer.submit(n)) for n in (2, -3, 4, 5)]
    for _ in range(5):  # a few loop iterations: without the limit they would have gone
        await asyncio.sleep(0)
    assert callee.batches == [[1]]  # the rest wait for the batch out
    callee.release.set()
    assert await first == 2
    assert [await later[0], await later[2], await later[3]] == [4, 8, 10]
    with pytest.raises(NotFound):
        await later[1]
    assert callee.batches == [[1], [2, -3, 4], [5]]  # at most max_batch at once


async def test_without_a_limit_each_loop_iteration_sends_its_own_batch() -> None:
    callee = Callee()
    callee.release.set()
    coalescer: Coalescer[int, int] = Coalescer(callee.send)
    assert await asyncio.gather(*(coalescer.submit(n) for n in range(4))) == [0, 2, 4, 6]
    assert await coalescer.submit(7) == 14
    assert callee.batches == [[0, 1, 2, 3], [7]]
