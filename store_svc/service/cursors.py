"""CursorService: thin proto ↔ domain glue over `store_svc.cursors`."""

from __future__ import annotations

from agent_runtime.store.v1 import cursor_service_pb2 as rpc
from agent_runtime.store.v1.cursor_service_pb2_grpc import CursorServiceServicer
from store_svc.cursors import Cursors, Fence
from store_svc.service.ledgers import Ctx


class CursorService(CursorServiceServicer):
    def __init__(self, cursors: Cursors) -> None:
        self._c = cursors

    async def GetCursor(self, request: rpc.GetCursorRequest, context: Ctx) -> rpc.GetCursorResponse:
        row = await self._c.get(request.name)
        if row is None:
            return rpc.GetCursorResponse()
        return rpc.GetCursorResponse(
            value=str(row["value"]),
            found=True,
            updated_at_ms=int(row["updated_at_ms"]),
            sequence=None if row["sequence"] is None else int(row["sequence"]),
        )

    async def PutCursor(self, request: rpc.PutCursorRequest, context: Ctx) -> rpc.PutCursorResponse:
        f = request.fence
        fence = Fence(f.name, f.holder, f.token) if request.HasField("fence") else None
        sequence = request.sequence if request.HasField("sequence") else None
        at = await self._c.put(request.name, request.value, fence, sequence)
        return rpc.PutCursorResponse(updated_at_ms=at)
