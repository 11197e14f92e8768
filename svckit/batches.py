"""The server side of a batch RPC (the store's CreateDeliveries or BeginInbounds, the
orchestrator's EnqueueTasks): each item is applied on its own, every item gets its result or
the domain error refusing it, and only an unexpected error fails the whole call. The client
side is svckit.coalesce."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from google.protobuf.message import Message

from svckit.errors import DomainError, InvalidArgument, build

Item = TypeVar("Item")
Result = TypeVar("Result")
M = TypeVar("M", bound=Message)
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
    """`fn` on every item at once (a store's writes share the database's group commit), in
    order."""
    check_batch(len(items), field)
    results = await asyncio.gather(*(fn(item) for item in items), return_exceptions=True)
    out: list[Result | DomainError] = []
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, DomainError):
            raise r
        out.append(r)
    return out


def batch_results(
    cls: type[M], results: Sequence[Result | DomainError], ok: Callable[[Result], M], *details: str
) -> list[M]:
    """A batch RPC's results in order: `ok(result)` for each item applied, and for each one
    refused a `cls` with the error's code, message and `field` (and the named `details`)."""

    def refused(err: DomainError) -> M:
        values: dict[str, Any] = {"code": err.code, "message": err.message}
        values.update((k, err.details.get(k, "")) for k in ("field", *details))
        return cls(**values)

    return [refused(r) if isinstance(r, DomainError) else ok(r) for r in results]


class Refused(Protocol):
    """A batch result message: a code (empty when the item was applied) and a message."""

    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


def refusal(result: Refused, *details: str) -> DomainError:
    """The domain error of a batch result that carries one (the client side of
    `batch_results`): its code, message, `field` and the named `details` that are set."""
    found = {k: str(getattr(result, k)) for k in ("field", *details)}
    return build(result.code, result.message, {k: v for k, v in found.items() if v})
