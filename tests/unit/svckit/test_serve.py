"""svckit end to end: a real grpc.aio server on port 0 with a throwaway PKI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from svckit import callctx, errors, testing
from svckit.authz import AllowList
from svckit.channels import open_channel
from svckit.config import ServiceSettings
from svckit.pki import PkiPaths
from svckit.serve import Service, ServiceDef

SERVICE = echo_pb2.DESCRIPTOR.services_by_name["EchoService"].full_name


class Echo(echo_pb2_grpc.EchoServiceServicer):
    def __init__(self) -> None:
        self.seen: list[callctx.CallContext] = []

    async def Echo(self, request: echo_pb2.EchoRequest, context: Any) -> echo_pb2.EchoResponse:
        self.seen.append(callctx.current())
        if request.payload == b"missing":
            raise errors.NotFound("no such thing", id="42")
        if request.payload == b"dup":
            raise errors.AlreadyExists("exists", existing_id="t-1")
        if request.payload == b"boom":
            raise RuntimeError("secret internals")
        return echo_pb2.EchoResponse(payload=request.payload)


@pytest.fixture
def pki(tmp_path: Path) -> PkiPaths:
    return testing.make_pki(tmp_path / "pki")


@pytest.fixture
async def echo(pki: PkiPaths) -> Any:
    settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    servicer = Echo()
    svc = Service(
        "store",
        settings,
        [ServiceDef(echo_pb2_grpc.add_EchoServiceServicer_to_server, servicer, SERVICE)],
        allow=AllowList({"Echo": ["svc:gateway", "admin:*"]}),
    )
    async with testing.serving(svc) as ports:
        yield ports, servicer


async def _echo(channel: grpc.aio.Channel, payload: bytes, **kw: Any) -> bytes:
    stub = echo_pb2_grpc.EchoServiceStub(channel)
    reply = await stub.Echo(echo_pb2.EchoRequest(payload=payload), timeout=5, **kw)
    return reply.payload


async def test_allowed_callers_get_answers_and_a_call_context(pki: PkiPaths, echo: Any) -> None:
    ports, servicer = echo
    async with testing.client_channel(pki, ports.grpc, "svc:gateway") as ch:
        assert await _echo(ch, b"hi", metadata=(("x-end-user", "telegram:7"),)) == b"hi"
    async with testing.client_channel(pki, ports.grpc, "admin:alice") as ch:
        assert await _echo(ch, b"yo", metadata=(("x-end-user", "telegram:7"),)) == b"yo"
    gw, admin = servicer.seen
    assert str(gw.caller) == "svc:gateway" and gw.end_user == "telegram:7"
    assert str(admin.caller) == "admin:alice" and admin.end_user is None  # only the gateway asserts
    assert gw.request_id and gw.request_id != admin.request_id


async def test_identity_not_on_the_allow_list_is_denied(pki: PkiPaths, echo: Any) -> None:
    ports, _ = echo
    async with testing.client_channel(pki, ports.grpc, "svc:scheduler") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"x")
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "svc:scheduler" in (info.value.details() or "")


async def test_domain_errors_map_to_status_with_details(pki: PkiPaths, echo: Any) -> None:
    ports, _ = echo
    async with testing.client_channel(pki, ports.grpc, "svc:gateway") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"dup")
        err = errors.from_rpc_error(info.value)
        assert isinstance(err, errors.AlreadyExists) and err.existing_id == "t-1"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"missing")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"boom")
        assert info.value.code() == grpc.StatusCode.INTERNAL
        assert "secret" not in (info.value.details() or "")


async def test_no_client_certificate_is_refused(pki: PkiPaths, echo: Any) -> None:
    ports, _ = echo
    async with open_channel(f"127.0.0.1:{ports.grpc}", pki, None) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"x")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_certificate_from_another_ca_is_refused(
    pki: PkiPaths, echo: Any, tmp_path: Path
) -> None:
    ports, _ = echo
    other = testing.make_pki(tmp_path / "other")
    # trust our server's CA, but present a client certificate of a foreign CA
    foreign = PkiPaths(tmp_path / "mixed")
    foreign.root.mkdir()
    foreign.ca_cert.write_bytes(pki.ca_cert.read_bytes())
    async with open_channel(f"127.0.0.1:{ports.grpc}", foreign, other.service("gateway")) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _echo(ch, b"x")
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_health_on_both_ports_and_metrics(pki: PkiPaths, echo: Any) -> None:
    ports, _ = echo
    async with testing.client_channel(pki, ports.grpc, "admin:ops") as ch:
        reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await _echo(ch, b"count me")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{ports.health}") as probe:
        reply = await health_pb2_grpc.HealthStub(probe).Check(
            health_pb2.HealthCheckRequest(service=SERVICE)
        )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{ports.metrics}/metrics")).text
    assert 'grpc_server_handled_total{grpc_code="OK",grpc_method="Echo"} 1.0' in body


async def test_health_watch_streams_the_status(pki: PkiPaths, echo: Any) -> None:
    """grpc_health's Watch writes with context.write(): the server wrapper lets it (it used
    to answer INTERNAL), so `grpcurl … grpc.health.v1.Health/Watch` works."""
    ports, _ = echo
    async with testing.client_channel(pki, ports.grpc, "admin:ops") as ch:
        watch = health_pb2_grpc.HealthStub(ch).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=10
        )
        first = await watch.read()
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


async def test_a_method_not_written_yet_answers_unimplemented(pki: PkiPaths) -> None:
    settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    base = echo_pb2_grpc.EchoServiceServicer()  # the generated base: every method unwritten
    defs = [ServiceDef(echo_pb2_grpc.add_EchoServiceServicer_to_server, base, SERVICE)]
    async with testing.serving(
        Service("store", settings, defs, AllowList({"*": ["admin:*"]}))
    ) as p:
        async with testing.client_channel(pki, p.grpc) as ch:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await _echo(ch, b"x")
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "Echo" in (info.value.details() or "")
