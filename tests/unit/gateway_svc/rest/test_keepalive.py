"""The REST edge's backend channels ping (svckit.keepalive, from the gateway's settings): a
watch relayed to a backend that went silent ends with an error event instead of hanging."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from agent_runtime.testing.v1 import testing_pb2 as pb
from agent_runtime.testing.v1 import testing_pb2_grpc as pb_grpc
from gateway_svc import rest
from svckit import testing
from svckit.authz import AllowList
from svckit.pki import PkiPaths
from svckit.serve import Service, ServiceDef
from tests.blackhole import BlackholeProxy
from tests.unit.gateway_svc.rest.backend import SERVICE
from tests.unit.gateway_svc.rest.stack import TESTING, TOKEN, settings_for
from tests.unit.gateway_svc.rest.wire import client_tls

SHORT = {"grpc_keepalive_time_seconds": 1.0, "grpc_keepalive_timeout_seconds": 1.0}


class Endless(pb_grpc.TranscodeTestServiceServicer):
    """A watch that sends one event and then stays open."""

    async def WatchItems(
        self, request: pb.WatchItemsRequest, context: Any
    ) -> AsyncIterator[pb.WatchItemsResponse]:
        yield pb.WatchItemsResponse(seq=1, item=pb.Item(id="item-1"))
        await asyncio.Event().wait()


async def _rest(lines: AsyncIterator[str]) -> list[Any]:
    return [json.loads(line) async for line in lines]


async def test_a_watch_relayed_to_a_backend_gone_silent_ends_unavailable(pki: PkiPaths) -> None:
    add = pb_grpc.add_TranscodeTestServiceServicer_to_server
    backend = Service(
        "store", settings_for(pki, **SHORT), [ServiceDef(add, Endless(), SERVICE)],
        AllowList({"*": ["svc:gateway"]}),
    )  # fmt: skip
    async with (
        testing.serving(backend) as ports,
        BlackholeProxy(ports.grpc).running() as proxy,
    ):
        server = rest.serve(
            settings_for(pki, **SHORT),
            services=[TESTING],
            port=0,
            token=TOKEN,
            addresses={"testing": f"127.0.0.1:{proxy.port}"},
        )
        port = await server.start()
        headers = {"authorization": f"Bearer {TOKEN}", "accept": "application/x-ndjson"}
        try:
            async with (
                _client(port, pki, headers) as client,
                client.stream("GET", "/api/v1/testing/items:watch") as watching,
            ):
                lines = watching.aiter_lines()
                assert json.loads(await anext(lines))["seq"] == 1
                proxy.cut()
                # the outer wait only guards the test: without keepalive it would hang
                rest_of_stream = await asyncio.wait_for(_rest(lines), 30)
        finally:
            await server.stop()
    assert [e["error"]["code"] for e in rest_of_stream] == ["UNAVAILABLE"]


def _client(port: int, pki: PkiPaths, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"https://127.0.0.1:{port}", verify=client_tls(pki), headers=headers, timeout=60
    )
