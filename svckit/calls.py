"""Outgoing unary calls: the one helper every client facade (`<svc>/clients.py`) calls through.

A call gets a deadline (the one given, else the channel's default from
`svckit.channels.open_channel`) and the request id (the channel adds it). A failed call comes
back as the `svckit.errors` error the callee raised, with its details (INVALID_ARGUMENT still
names its `field`), so a caller's own clients see the callee's status unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol, TypeVar

import grpc

from svckit import errors

Req = TypeVar("Req", contravariant=True)
Resp = TypeVar("Resp", covariant=True)
T = TypeVar("T")
Metadata = Sequence[tuple[str, str | bytes]]

# The callee refusing this service is a deployment fault (a certificate or an allow list),
# not something the caller of this service can correct.
_REFUSALS = (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)


class Unary(Protocol[Req, Resp]):
    """A unary multicallable of a generated stub (`stub.GetTask`)."""

    def __call__(
        self, request: Req, *, timeout: float | None = ..., metadata: Metadata | None = ...
    ) -> Awaitable[Resp]: ...


async def call(
    method: Unary[Req, T],
    request: Req,
    *,
    deadline_s: float | None = None,
    metadata: Metadata | None = None,
    refused: str = "",
) -> T:
    """The reply of `method(request)`, or the callee's error as a `svckit.errors` error.
    `deadline_s` is how many seconds the call may take (grpc's `timeout`, sent to the callee
    as its deadline); None keeps the channel's default. With `refused`, a PERMISSION_DENIED
    or UNAUTHENTICATED answer becomes INTERNAL "<refused>: <details>" instead."""
    try:
        return await method(request, timeout=deadline_s, metadata=metadata)
    except grpc.aio.AioRpcError as exc:
        if refused and exc.code() in _REFUSALS:
            raise errors.Internal(f"{refused}: {exc.details()}") from None
        raise errors.from_rpc_error(exc) from None
