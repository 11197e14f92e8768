"""Certificate renewal without a restart: real servers and channels on port 0, real TLS, new
certificates written into the same PKI folder while they run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from svckit import testing
from svckit.authz import AllowList
from svckit.certfiles import CertWatch
from svckit.channels import open_channel
from svckit.config import ServiceSettings
from svckit.pki import CertPair, PkiPaths, reissue_service
from svckit.rotating import RotatingChannel
from svckit.serve import Service, ServiceDef
from svckit.tls import server_credentials

NAME = echo_pb2.DESCRIPTOR.services_by_name["EchoService"].full_name


class PeerSerial(echo_pb2_grpc.EchoServiceServicer):
    """Answers with the serial number of the client certificate the call came with; payload
    b"wait" holds the answer until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def Echo(self, request: echo_pb2.EchoRequest, context: Any) -> echo_pb2.EchoResponse:
        if request.payload == b"wait":
            await self.release.wait()
        pem = context.auth_context()["x509_pem_cert"][0]
        serial = x509.load_pem_x509_certificate(pem).serial_number
        return echo_pb2.EchoResponse(payload=str(serial).encode())


def _service(pki: PkiPaths, servicer: PeerSerial | None = None) -> Service:
    settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
    defs = [
        ServiceDef(echo_pb2_grpc.add_EchoServiceServicer_to_server, servicer or PeerSerial(), NAME)
    ]
    return Service("store", settings, defs, AllowList({"*": ["svc:*", "admin:*"]}))


async def _serial_seen(stub: echo_pb2_grpc.EchoServiceStub, payload: bytes = b"") -> int:
    """The serial of the certificate the server saw on this call."""
    reply = await stub.Echo(echo_pb2.EchoRequest(payload=payload), timeout=5)
    return int(reply.payload)


def _mismatch(pair: CertPair, tmp_path: Path) -> None:
    """Leave `pair` half-renewed: a new key next to the old certificate."""
    stray = testing.make_pki(tmp_path / "stray")
    pair.key.write_bytes(stray.service("store").key.read_bytes())


# --- server side ----------------------------------------------------------------------------


async def test_a_running_service_presents_its_renewed_certificate_to_new_connections(
    pki: PkiPaths,
) -> None:
    async with testing.serving(_service(pki)) as ports:
        old = testing.serial_of(pki.service("store"))
        assert await testing.presented_serial(pki, ports.grpc) == old
        async with testing.client_channel(pki, ports.grpc, "svc:gateway") as channel:
            stub = echo_pb2_grpc.EchoServiceStub(channel)
            await _serial_seen(stub)  # a connection from before the renewal
            new = testing.serial_of(reissue_service(pki.root, "store"))

            async def presents_new() -> bool:
                return await testing.presented_serial(pki, ports.grpc) == new

            await testing.eventually(presents_new, "the renewed certificate on a new connection")
            await _serial_seen(stub)  # the old connection keeps working
        async with testing.client_channel(pki, ports.grpc, "svc:gateway") as channel:
            await _serial_seen(echo_pb2_grpc.EchoServiceStub(channel))


def _pki_dir(root: Path, cas: list[PkiPaths], pairs: dict[str, CertPair]) -> PkiPaths:
    """A PKI folder trusting `cas` and holding copies of `pairs` (by service name)."""
    out = PkiPaths(root)
    root.mkdir(parents=True, exist_ok=True)
    out.ca_cert.write_bytes(b"".join(ca.ca_cert.read_bytes() for ca in cas))
    for name, pair in pairs.items():
        target = out.service(name)
        target.cert.parent.mkdir(exist_ok=True)
        target.key.write_bytes(pair.key.read_bytes())
        target.cert.write_bytes(pair.cert.read_bytes())
    return out


async def test_a_service_moved_to_a_new_ca_refuses_clients_of_the_old_one(
    tmp_path: Path,
) -> None:
    old, new = testing.make_pki(tmp_path / "old"), testing.make_pki(tmp_path / "new")
    server_pki = _pki_dir(tmp_path / "server", [old], {"store": old.service("store")})
    # Clients that trust both CAs, so only the server's verdict on their certificate counts.
    of_old = _pki_dir(tmp_path / "c-old", [old, new], {"gateway": old.service("gateway")})
    of_new = _pki_dir(tmp_path / "c-new", [old, new], {"gateway": new.service("gateway")})

    async def status(client: PkiPaths) -> grpc.StatusCode:
        target = f"127.0.0.1:{ports.grpc}"
        async with open_channel(target, client, client.service("gateway")) as channel:
            try:
                await _serial_seen(echo_pb2_grpc.EchoServiceStub(channel))
            except grpc.aio.AioRpcError as exc:
                return exc.code()
        return grpc.StatusCode.OK

    async with testing.serving(_service(server_pki)) as ports:
        assert await status(of_old) == grpc.StatusCode.OK
        assert await status(of_new) == grpc.StatusCode.UNAVAILABLE
        _pki_dir(server_pki.root, [new], {"store": new.service("store")})

        async def new_ca_accepted() -> bool:
            return await status(of_new) == grpc.StatusCode.OK

        await testing.eventually(new_ca_accepted, "the server to trust the new CA")
        assert await status(of_old) == grpc.StatusCode.UNAVAILABLE


async def test_a_half_written_server_certificate_is_ignored_until_complete(
    pki: PkiPaths, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pair = pki.service("store")
    server = grpc.aio.server()
    echo_pb2_grpc.add_EchoServiceServicer_to_server(PeerSerial(), server)
    # recheck=0: every handshake looks at the files, so the test needs no waiting
    port = server.add_secure_port("127.0.0.1:0", server_credentials(pki, pair, recheck=0))
    await server.start()
    try:
        old = testing.serial_of(pair)
        _mismatch(pair, tmp_path)
        with caplog.at_level(logging.WARNING, logger="svckit.certfiles"):
            for _ in range(3):
                assert await testing.presented_serial(pki, port) == old
        ignored = [r for r in caplog.records if r.getMessage() == "new certificate files ignored"]
        assert len(ignored) == 1  # once per change, not once per handshake
        assert "does not match" in getattr(ignored[0], "problem", "")
        async with testing.client_channel(pki, port, "svc:gateway") as channel:
            await _serial_seen(echo_pb2_grpc.EchoServiceStub(channel))  # still served

        new = testing.serial_of(reissue_service(pki.root, "store"))
        assert await testing.presented_serial(pki, port) == new
    finally:
        await server.stop(None)


# --- client side ----------------------------------------------------------------------------

ChannelFactory = Callable[..., grpc.aio.Channel]


def _open_channel(pki: PkiPaths, port: int, **kw: Any) -> grpc.aio.Channel:
    return open_channel(f"127.0.0.1:{port}", pki, pki.service("gateway"), **kw)


def _plain_channel(pki: PkiPaths, port: int, **kw: Any) -> grpc.aio.Channel:
    """Like gateway_svc.rest.backend_channel: no defaults, just rotation."""
    watch = CertWatch(pki.ca_cert, pki.service("gateway"))
    grace = kw.pop("retire_grace", 30.0)
    return RotatingChannel(f"127.0.0.1:{port}", watch, grace=grace, **kw)


@pytest.mark.parametrize("opener", [_open_channel, _plain_channel], ids=["defaults", "plain"])
async def test_a_channel_presents_its_renewed_certificate_while_calls_go_on(
    pki: PkiPaths, opener: ChannelFactory
) -> None:
    servicer = PeerSerial()
    async with testing.serving(_service(pki, servicer)) as ports:
        channel = opener(pki, ports.grpc, reload_interval=0.05, retire_grace=10.0)
        async with channel:
            stub = echo_pb2_grpc.EchoServiceStub(channel)  # made once, used across the swap
            old = testing.serial_of(pki.service("gateway"))
            assert await _serial_seen(stub) == old
            in_flight = asyncio.ensure_future(_serial_seen(stub, b"wait"))
            await testing.eventually(lambda: channel.get_state() == grpc.ChannelConnectivity.READY)
            failures: list[BaseException] = []
            seen: list[int] = []
            stop = asyncio.Event()

            async def keep_calling() -> None:
                while not stop.is_set():
                    try:
                        seen.append(await _serial_seen(stub))
                    except grpc.aio.AioRpcError as exc:
                        failures.append(exc)

            caller = asyncio.ensure_future(keep_calling())
            new = testing.serial_of(reissue_service(pki.root, "gateway"))
            await testing.eventually(lambda: seen and seen[-1] == new, "calls with the new cert")
            stop.set()
            await caller
            servicer.release.set()
            assert await in_flight == old  # finished on the retired channel, within its grace
        assert not failures
        assert set(seen) == {old, new}


async def test_a_half_written_client_certificate_is_ignored_until_complete(
    pki: PkiPaths, tmp_path: Path
) -> None:
    async with testing.serving(_service(pki)) as ports:
        async with _open_channel(pki, ports.grpc, reload_interval=0) as channel:
            stub = echo_pb2_grpc.EchoServiceStub(channel)
            pair = pki.service("gateway")
            old = testing.serial_of(pair)
            _mismatch(pair, tmp_path)
            for _ in range(3):  # reload_interval=0: every call looks at the files
                assert await _serial_seen(stub) == old
            new = testing.serial_of(reissue_service(pki.root, "gateway"))
            assert await _serial_seen(stub) == new
