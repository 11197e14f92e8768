"""The HTTP/1.1 server (http1.py) over real sockets: disconnects, timeouts, stop, and TLS
through RestServer."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import pytest

from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.server import RestServer
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.http1_kit import (
    TIMEOUT,
    Client,
    EchoApp,
    Serve,
    Served,
    get,
    post,
)

# --- disconnects, timeouts, stop ------------------------------------------------------------


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
    assert response.header("connection") is None


async def test_a_body_that_stops_coming_is_a_disconnect(serve: Serve) -> None:
    served = await serve(idle_timeout=0.2)
    client = await served.client()
    try:
        await client.send(post("/echo", b"0123456789")[:-7])  # 3 of 10 body bytes, then nothing
        assert await client.closed()
    finally:
        client.close()
    assert served.app.paths == ["/echo"]


async def test_stop_finishes_the_request_in_progress(served: Served) -> None:
    busy = await served.client()
    idle = await served.client()
    try:
        await idle.send(get("/idle"))
        await idle.response()
        await busy.send(get("/slow"))
        await asyncio.wait_for(served.app.started.wait(), TIMEOUT)
        stopping = asyncio.create_task(served.server.stop(grace=5))
        assert await idle.closed()  # the idle keep-alive connection goes at once
        with pytest.raises(ConnectionRefusedError):
            await Client.open(served.port)
        served.app.release.set()
        response = await busy.response()
        assert await busy.closed()
        await asyncio.wait_for(stopping, TIMEOUT)
    finally:
        busy.close()
        idle.close()
    assert (response.status, response.body) == (200, b"slow done")
    assert response.header("connection") == "close"


async def test_stop_cuts_a_streamed_response(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/watch"))
        await client.head()
        assert await client.chunk() == b"first"
        loop = asyncio.get_running_loop()
        began = loop.time()
        await asyncio.wait_for(served.server.stop(grace=5), TIMEOUT)
        took = loop.time() - began
        assert await client.closed()
    finally:
        client.close()
    assert took < 2.5
    await asyncio.wait_for(served.app.watched.wait(), TIMEOUT)
    assert served.app.received == [{"type": "http.disconnect"}]


# --- through RestServer, with TLS -----------------------------------------------------------


@pytest.fixture
async def rest_server(pki: PkiPaths) -> AsyncIterator[tuple[RestServer, EchoApp]]:
    app = EchoApp()
    server = RestServer(app, host="127.0.0.1", port=0, cert=pki.rest, ca_cert=pki.ca_cert)
    await server.start()
    try:
        yield server, app
    finally:
        await server.stop()


def client_tls(pki: PkiPaths, *, cert: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert:
        pair = pki.admin("admin")
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
    return ctx


async def test_an_admin_certificate_reaches_the_app_as_the_peer_identity(
    pki: PkiPaths, rest_server: tuple[RestServer, EchoApp]
) -> None:
    server, _ = rest_server
    client = await Client.open(server.port, client_tls(pki, cert=True))
    try:
        await client.send(get("/state"))
        first = await client.response()
        await client.send(get("/state"))  # and on every request of the connection
        second = await client.response()
    finally:
        client.close()
    assert first.json() == {"state": {PEER_IDENTITY: "admin:admin"}, "scheme": "https"}
    assert second.json() == first.json()


async def test_a_client_without_a_certificate_is_served_without_identity(
    pki: PkiPaths, rest_server: tuple[RestServer, EchoApp]
) -> None:
    server, _ = rest_server
    client = await Client.open(server.port, client_tls(pki, cert=False))
    try:
        await client.send(get("/state"))
        response = await client.response()
    finally:
        client.close()
    assert response.status == 200
    assert response.json() == {"state": {}, "scheme": "https"}
