"""Typed async facades over the other services' stubs (connectors as a caller)."""

from __future__ import annotations

import grpc

from agent_runtime.store.v1 import cursor_service_pb2 as cursor_rpc
from agent_runtime.store.v1.cursor_service_pb2_grpc import CursorServiceStub
from svckit.calls import call

CURSOR_SERVICE = "/agent_runtime.store.v1.CursorService/"
# Reading a cursor and putting the same value again are both idempotent.
CURSOR_RETRY_METHODS = tuple(CURSOR_SERVICE + m for m in ("GetCursor", "PutCursor"))
REFUSED = "the store refused connectors"


class StoreCursors:
    """The store's CursorService (`connectors_svc.adapters.cursors.Cursors`)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = CursorServiceStub(channel)  # an aio channel: the async stub

    async def get(self, name: str) -> str:
        reply: cursor_rpc.GetCursorResponse = await call(
            self._stub.GetCursor, cursor_rpc.GetCursorRequest(name=name), refused=REFUSED
        )
        return reply.value

    async def put(self, name: str, value: str) -> None:
        await call(
            self._stub.PutCursor,
            cursor_rpc.PutCursorRequest(name=name, value=value),
            refused=REFUSED,
        )
