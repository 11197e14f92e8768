"""ComponentService: thin proto <-> domain glue for the stored heartbeat components."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from agent_runtime.store.v1 import component_pb2
from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceServicer
from store_svc.components import Components
from store_svc.convert import fields_of, to_msg

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class ComponentService(ComponentServiceServicer):
    def __init__(self, components: Components) -> None:
        self._c = components

    async def ReportComponents(
        self, request: crpc.ReportComponentsRequest, context: Ctx
    ) -> crpc.ReportComponentsResponse:
        items = [{**fields_of(c), "extra": dict(c.extra)} for c in request.components]
        return crpc.ReportComponentsResponse(count=await self._c.report(items))

    async def ListComponents(
        self, request: crpc.ListComponentsRequest, context: Ctx
    ) -> crpc.ListComponentsResponse:
        rows, now = await self._c.list(request.prefix)
        items = []
        for row in rows:
            msg = to_msg(component_pb2.Component, row)
            msg.extra.update(row["extra"])
            items.append(msg)
        return crpc.ListComponentsResponse(items=items, now_ms=now)
