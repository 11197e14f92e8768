"""Batch RPCs apply each item on its own: every item gets its result or the domain error
refusing it, and only an unexpected error fails the whole call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from svckit.errors import DomainError, InvalidArgument

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_BATCH = 100


def check_batch(size: int, field: str) -> None:
    """INVALID_ARGUMENT naming `field` for an empty batch or one past MAX_BATCH."""
    if not size:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if size > MAX_BATCH:
        raise InvalidArgument(f"at most {MAX_BATCH} {field} per call", field=field)


async def each(
    fn: Callable[[Item], Awaitable[Result]], items: Sequence[Item], field: str
) -> list[Result | DomainError]:
    """`fn` on every item at once (their writes share the database's group commit), in order."""
    check_batch(len(items), field)
    results = await asyncio.gather(*(fn(item) for item in items), return_exceptions=True)
    out: list[Result | DomainError] = []
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, DomainError):
            raise r
        out.append(r)
    return out
