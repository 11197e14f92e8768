"""The REST edge's backend channels ping (svckit.keepalive, from the gateway's settings): a
watch relayed to a backend that went silent ends with an error event instead of hanging."""

from __future__ import annotations

import asyncio
import json

import httpx

from svckit import testing
from svckit.pki import PkiPaths
from tests.blackhole import BlackholeProxy
from tests.unit.gateway_svc.rest.backend import Endless, backend_service, events
from tests.unit.gateway_svc.rest.stack import TOKEN, serving_rest, settings_for
from tests.unit.gateway_svc.rest.wire import client_tls

SHORT = {"grpc_keepalive_time_seconds": 1.0, "grpc_keepalive_timeout_seconds": 1.0}


async def test_a_watch_relayed_to_a_backend_gone_silent_ends_unavailable(pki: PkiPaths) -> None:
    backend = backend_service(settings_for(pki, **SHORT), Endless())
    headers = {"authorization": f"Bearer {TOKEN}", "accept": "application/x-ndjson"}
    async with (
        testing.serving(backend) as ports,
        BlackholeProxy(ports.grpc).running() as proxy,
        serving_rest(pki, proxy.port, **SHORT) as port,
        _client(port, pki, headers) as client,
        client.stream("GET", "/api/v1/testing/items:watch") as watching,
    ):
        lines = watching.aiter_lines()
        assert json.loads(await anext(lines))["seq"] == 1
        proxy.cut()
        # the outer wait only guards the test: without keepalive it would hang
        rest_of_stream = await asyncio.wait_for(events(lines), 30)
    assert [e["error"]["code"] for e in rest_of_stream] == ["UNAVAILABLE"]


def _client(port: int, pki: PkiPaths, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"https://127.0.0.1:{port}", verify=client_tls(pki), headers=headers, timeout=60
    )
