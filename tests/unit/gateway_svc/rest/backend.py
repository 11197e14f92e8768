"""A real TranscodeTestService backend for the REST tests (and the benchmark's fallback)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from agent_runtime.testing.v1 import testing_pb2 as pb
from agent_runtime.testing.v1 import testing_pb2_grpc as pb_grpc
from svckit import callctx, errors
from svckit.authz import AllowList
from svckit.config import ServiceSettings
from svckit.serve import Service, ServiceDef

SERVICE = "agent_runtime.testing.v1.TranscodeTestService"


def _fail(code: str, message: str) -> errors.DomainError:
    return errors.build(code, message, {"reason": "asked"})


class TranscodeBackend(pb_grpc.TranscodeTestServiceServicer):
    async def GetItem(self, request: pb.GetItemRequest, context: Any) -> pb.GetItemResponse:
        if request.id == "missing":
            raise errors.NotFound("item not found", id=request.id)
        if request.id.startswith("error-"):
            raise _fail(request.id.removeprefix("error-"), "failed as asked")
        ctx = callctx.current()
        item = pb.Item(
            id=request.id,
            title=f"item {request.id}",
            kind=pb.KIND_LARGE,
            size=2**40,
            views=2**63 + 5,
            score=0.5,
            labels={"caller": ctx.acting_admin or "", "request_id": ctx.request_id},
            dimensions=pb.Dimensions(width=3, height=4),
        )
        return pb.GetItemResponse(item=item)

    async def CreateItem(
        self, request: pb.CreateItemRequest, context: Any
    ) -> pb.CreateItemResponse:
        item = pb.Item()
        item.CopyFrom(request.item)
        item.id = item.id or "new"
        return pb.CreateItemResponse(item=item)

    async def UpdateItem(
        self, request: pb.UpdateItemRequest, context: Any
    ) -> pb.UpdateItemResponse:
        return pb.UpdateItemResponse(
            item=request.item, fields=request.fields, validate_only=request.validate_only
        )

    async def ListItems(self, request: pb.ListItemsRequest, context: Any) -> pb.ListItemsResponse:
        n = max(0, min(request.limit, 3))
        items = [pb.Item(id=f"{request.parent}/items/{i}") for i in range(n)]
        return pb.ListItemsResponse(items=items, count=n, request=request)

    async def RetryItem(self, request: pb.RetryItemRequest, context: Any) -> pb.RetryItemResponse:
        return pb.RetryItemResponse(
            id=f"retry-{request.id}", retry_of=request.id, reason=request.reason
        )

    async def DeleteItem(
        self, request: pb.DeleteItemRequest, context: Any
    ) -> pb.DeleteItemResponse:
        return pb.DeleteItemResponse(
            result=pb.DeleteResult(id=request.id, deleted=True), internal_note="not for REST"
        )

    async def WatchItems(
        self, request: pb.WatchItemsRequest, context: Any
    ) -> AsyncIterator[pb.WatchItemsResponse]:
        for seq in range(1, max(0, min(request.count, 50)) + 1):
            yield pb.WatchItemsResponse(seq=seq, item=pb.Item(id=f"item-{seq}"))
        if request.fail_with in errors.BY_CODE:
            raise _fail(request.fail_with, "stream failed as asked")

    async def Unannotated(
        self, request: pb.UnannotatedRequest, context: Any
    ) -> pb.UnannotatedResponse:
        return pb.UnannotatedResponse()


class Endless(pb_grpc.TranscodeTestServiceServicer):
    """A watch that sends one event and then stays open."""

    async def WatchItems(
        self, request: pb.WatchItemsRequest, context: Any
    ) -> AsyncIterator[pb.WatchItemsResponse]:
        yield pb.WatchItemsResponse(seq=1, item=pb.Item(id="item-1"))
        await asyncio.Event().wait()


def backend_service(
    settings: ServiceSettings, servicer: pb_grpc.TranscodeTestServiceServicer | None = None
) -> Service:
    """The backend (`TranscodeBackend` unless another servicer is given) as a real svckit
    service (mTLS, allow list, error translation); it uses the store's certificate, being a
    stand-in for a backend."""
    add = pb_grpc.add_TranscodeTestServiceServicer_to_server
    defs = [ServiceDef(add, servicer or TranscodeBackend(), SERVICE)]
    return Service("store", settings, defs, allow=AllowList({"*": ["svc:gateway", "admin:*"]}))


async def events(lines: AsyncIterator[str]) -> list[Any]:
    """The rest of an NDJSON stream, each line decoded."""
    return [json.loads(line) async for line in lines]
