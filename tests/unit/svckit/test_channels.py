"""Client channels: request ids follow a call across services; default deadlines apply."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from svckit import callctx, errors, testing
from svckit.authz import AllowList
from svckit.config import ServiceSettings
from svckit.pki import PkiPaths
from svckit.serve import Service, ServiceDef

NAME = echo_pb2.DESCRIPTOR.services_by_name["EchoService"].full_name


class Relay(echo_pb2_grpc.EchoServiceServicer):
    """Forwards to the next hop (if any) and records the request ids it saw."""

    def __init__(self, next_hop: echo_pb2_grpc.EchoServiceStub | None) -> None:
        self.next_hop = next_hop
        self.request_ids: list[str] = []

    async def Echo(self, request: echo_pb2.EchoRequest, context: Any) -> echo_pb2.EchoResponse:
        self.request_ids.append(callctx.request_id())
        if request.payload == b"slow":
            await asyncio.Event().wait()  # never answers: the deadline must end it
        if self.next_hop is not None:
            return await self.next_hop.Echo(request)
        return echo_pb2.EchoResponse(payload=request.payload)


def _service(pki: PkiPaths, name: str, servicer: Relay) -> Service:
    settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    allow = AllowList({"*": ["svc:*", "admin:*"]})
    return Service(
        name,
        settings,
        [ServiceDef(echo_pb2_grpc.add_EchoServiceServicer_to_server, servicer, NAME)],
        allow,
    )


async def test_request_id_follows_the_call_across_services(tmp_path: Path) -> None:
    pki = testing.make_pki(tmp_path)
    last = Relay(None)
    async with testing.serving(_service(pki, "store", last)) as store_ports:
        async with testing.client_channel(pki, store_ports.grpc, "svc:gateway") as hop:
            first = Relay(echo_pb2_grpc.EchoServiceStub(hop))
            async with testing.serving(_service(pki, "gateway", first)) as gw_ports:
                async with testing.client_channel(pki, gw_ports.grpc) as ch:
                    stub = echo_pb2_grpc.EchoServiceStub(ch)
                    await stub.Echo(
                        echo_pb2.EchoRequest(payload=b"a"), metadata=(("x-request-id", "req-123"),)
                    )
                    await stub.Echo(echo_pb2.EchoRequest(payload=b"b"))
    assert first.request_ids[0] == last.request_ids[0] == "req-123"
    assert first.request_ids[1] == last.request_ids[1] != "req-123"


async def test_default_deadline_applies_when_the_caller_sets_none(tmp_path: Path) -> None:
    pki = testing.make_pki(tmp_path)
    async with testing.serving(_service(pki, "store", Relay(None))) as ports:
        async with testing.client_channel(pki, ports.grpc, default_timeout=0.3) as ch:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await echo_pb2_grpc.EchoServiceStub(ch).Echo(echo_pb2.EchoRequest(payload=b"slow"))
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


class Flaky(echo_pb2_grpc.EchoServiceServicer):
    """UNAVAILABLE twice, then answers."""

    def __init__(self) -> None:
        self.calls = 0

    async def Echo(self, request: echo_pb2.EchoRequest, context: Any) -> echo_pb2.EchoResponse:
        self.calls += 1
        if self.calls <= 2:
            raise errors.Unavailable("warming up")
        return echo_pb2.EchoResponse(payload=request.payload)


async def test_unavailable_is_retried_only_for_idempotent_methods(tmp_path: Path) -> None:
    pki = testing.make_pki(tmp_path)
    flaky = Flaky()
    settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    defs = [ServiceDef(echo_pb2_grpc.add_EchoServiceServicer_to_server, flaky, NAME)]
    service = Service("store", settings, defs, AllowList({"*": ["admin:*"]}))
    async with testing.serving(service) as ports:
        async with testing.client_channel(pki, ports.grpc) as plain:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await echo_pb2_grpc.EchoServiceStub(plain).Echo(echo_pb2.EchoRequest(payload=b"x"))
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        flaky.calls = 0
        retrying = testing.client_channel(pki, ports.grpc, retry_methods=[f"/{NAME}/Echo"])
        async with retrying as ch:
            reply = await echo_pb2_grpc.EchoServiceStub(ch).Echo(echo_pb2.EchoRequest(payload=b"y"))
    assert reply.payload == b"y" and flaky.calls == 3
