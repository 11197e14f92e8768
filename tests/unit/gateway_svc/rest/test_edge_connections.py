"""The HTTPS edge's connections: TLS handshake deadline, connection cap, idle timeout, the
client certificate's identity, and graceful stop, as a client notices them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gateway_svc.rest import build_app
from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.server import RestServer
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.backend import SERVICE, Endless, backend_service
from tests.unit.gateway_svc.rest.stack import TESTING, TOKEN, settings_for
from tests.unit.gateway_svc.rest.wire import TIMEOUT, Client, Serve, Served, client_tls, get


async def _dropped(reader: asyncio.StreamReader) -> bool:
    """True once the server closes the connection (EOF or reset) without a byte."""
    try:
        return await asyncio.wait_for(reader.read(), TIMEOUT) == b""
    except ConnectionResetError:
        return True


# --- TLS handshake deadline and connection cap ----------------------------------------------


async def test_a_connection_that_never_completes_its_handshake_is_dropped(serve: Serve) -> None:
    served = await serve(handshake_timeout=0.2)
    silent = await asyncio.open_connection("127.0.0.1", served.port)
    partial = await asyncio.open_connection("127.0.0.1", served.port)
    partial[1].write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello's start
    try:
        assert await _dropped(silent[0])
        assert await _dropped(partial[0])
    finally:
        silent[1].close()
        partial[1].close()
    await testing.eventually(lambda: served.server.open_connections == 0, "nothing counted")
    assert (await served.request(get("/after"))).status == 200


async def _works(served: Served) -> bool:
    try:
        return (await served.request(get("/probe"))).status == 200
    except OSError:
        return False


async def test_connections_beyond_the_cap_are_refused_until_one_closes(serve: Serve) -> None:
    served = await serve(max_connections=2)
    first, second = await served.client(), await served.client()
    try:
        for client in (first, second):
            await client.send(get("/held"))
            assert (await client.response()).status == 200
        with pytest.raises(OSError):  # closed before the TLS handshake: reset or EOF
            third = await served.client()
            await third.send(get("/third"))
            await third.response()
        await first.send(get("/still"))  # the connections within the cap are served on
        assert (await first.response()).status == 200
        first.close()
        await testing.eventually(lambda: _works(served), "a connection once one has closed")
    finally:
        first.close()
        second.close()
    assert "/third" not in served.app.paths


async def test_handshakes_in_progress_count_toward_the_cap(serve: Serve) -> None:
    served = await serve(max_connections=2, handshake_timeout=0.3)
    idle = [await asyncio.open_connection("127.0.0.1", served.port) for _ in range(2)]
    try:
        await testing.eventually(lambda: served.server.open_connections == 2, "two accepted")
        with pytest.raises(OSError):
            await served.request(get("/refused"))
        await testing.eventually(lambda: _works(served), "a connection once they time out")
    finally:
        for _, writer in idle:
            writer.close()


# --- idle connections -----------------------------------------------------------------------


async def test_an_idle_connection_is_closed(serve: Serve) -> None:
    served = await serve(idle_timeout=0.2)
    silent = await served.client()  # never sends a byte
    partial = await served.client()  # sends half a head
    kept = await served.client()  # keep-alive after a response
    try:
        await partial.send(b"GET / HTTP/1.1\r\nHost: te")
        await kept.send(get("/first"))
        response = await kept.response()
        assert await silent.closed()
        assert await partial.closed()
        assert await kept.closed()
    finally:
        for client in (silent, partial, kept):
            client.close()
    assert response.status == 200
    assert served.app.paths == ["/first"]


async def test_the_app_learns_that_the_client_went_away(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/watch"))
        head = await client.head()
        first = await client.chunk()
    finally:
        client.close()
    assert (head.status, first) == (200, b"first")
    await asyncio.wait_for(served.app.watched.wait(), TIMEOUT)
    assert served.app.received == [{"type": "http.disconnect"}]


# --- the client certificate -----------------------------------------------------------------


async def test_an_admin_certificate_reaches_the_app_as_the_peer_identity(served: Served) -> None:
    client = await served.client(cert=True)
    try:
        await client.send(get("/state"))
        first = await client.response()
        await client.send(get("/state"))  # and on every request of the connection
        second = await client.response()
    finally:
        client.close()
    assert first.json() == {"state": {PEER_IDENTITY: "admin:admin"}, "scheme": "https"}
    assert second.json() == first.json()


async def test_a_client_without_a_certificate_is_served_without_identity(served: Served) -> None:
    response = await served.request(get("/state"))
    assert response.json() == {"state": {}, "scheme": "https"}


async def test_a_certificate_from_another_ca_fails_the_handshake(
    served: Served, tmp_path: Any
) -> None:
    other = testing.make_pki(tmp_path / "other")
    tls = client_tls(served.pki)
    pair = other.admin("admin")
    tls.load_cert_chain(str(pair.cert), str(pair.key))
    with pytest.raises((OSError, asyncio.IncompleteReadError)):  # TLS 1.3: alert after hello
        client = await Client.open(served.port, tls)
        await client.send(get("/state"))
        await client.response()
    assert "/state" not in served.app.paths


# --- graceful stop --------------------------------------------------------------------------


async def test_stop_finishes_the_request_in_progress(served: Served) -> None:
    busy = await served.client()
    idle = await served.client()
    try:
        await idle.send(get("/idle"))
        await idle.response()
        await busy.send(get("/slow"))
        await asyncio.wait_for(served.app.started.wait(), TIMEOUT)
        stopping = asyncio.create_task(served.server.stop())
        assert await idle.closed()  # the idle keep-alive connection goes at once
        with pytest.raises(OSError):
            await served.client()
        served.app.release.set()
        response = await busy.response()
        assert await busy.closed()
        await asyncio.wait_for(stopping, TIMEOUT)
    finally:
        busy.close()
        idle.close()
    assert (response.status, response.body) == (200, b"slow done")
    assert response.header("connection") == "close"


async def test_stop_drops_what_outlasts_the_grace(serve: Serve) -> None:
    served = await serve(grace=0.2)
    client = await served.client()
    try:
        await client.send(get("/watch"))  # a stream that does not end by itself
        await client.head()
        assert await client.chunk() == b"first"
        await asyncio.wait_for(served.server.stop(), TIMEOUT)
        assert await client.closed()
    finally:
        client.close()


async def test_stop_ends_a_watch_with_an_error_event_well_within_the_grace(
    pki: PkiPaths,
) -> None:
    backend = backend_service(settings_for(pki), Endless())
    async with (
        testing.serving(backend) as ports,
        testing.client_channel(pki, ports.grpc, "svc:gateway") as channel,
    ):
        app = build_app([TESTING], {SERVICE: channel}, token=TOKEN)
        rest = RestServer(
            app,
            host="127.0.0.1",
            port=0,
            cert=pki.rest,
            ca_cert=pki.ca_cert,
            on_stopping=app.shutdown,
            grace=60.0,  # a stop that waited for the watch would not end within TIMEOUT
        )
        port = await rest.start()
        headers = {"authorization": f"Bearer {TOKEN}", "accept": "application/x-ndjson"}
        base = f"https://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(
                base_url=base, verify=client_tls(pki), headers=headers
            ) as client:
                async with client.stream("GET", "/api/v1/testing/items:watch") as watching:
                    lines = watching.aiter_lines()
                    assert json.loads(await anext(lines))["seq"] == 1
                    stopping = asyncio.create_task(rest.stop())
                    rest_of_stream = [json.loads(line) async for line in lines]
            await asyncio.wait_for(stopping, TIMEOUT)
        finally:
            await rest.stop()
    assert [e["error"]["code"] for e in rest_of_stream] == ["UNAVAILABLE"]
