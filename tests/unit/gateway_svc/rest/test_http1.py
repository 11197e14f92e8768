"""The HTTP/1.1 server (http1.py) over real sockets: what a client sees on the wire."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.exchange import Message, Receive, Scope, Send
from gateway_svc.rest.http1 import Http1Server
from gateway_svc.rest.server import RestServer
from svckit.pki import PkiPaths

TIMEOUT = 5.0
STREAM_CHUNKS = (b"one", b"two", b"three")


class EchoApp:
    """The ASGI app under the server. Routes by path:

    /stream  several `more_body=True` chunks, then a last one ("four")
    /boom    raises before answering
    /early   answers 200 at once, never reads the body
    /watch   starts a streaming answer, then records what `receive()` returns next
    /slow    waits for `release` before answering
    /limit   records its first body message; 413 if the body went on past the limit
    /sized   a fixed body with its own content-length (like app.py does)
    /inject  a header value with CRLF in it
    /state   the scope's state and scheme
    else     echoes method, path, query and body as JSON
    """

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.started = asyncio.Event()  # /slow or /watch is under way
        self.release = asyncio.Event()  # /slow may answer
        self.watched = asyncio.Event()  # /watch's receive() returned
        self.received: list[Message] = []  # what /watch and /limit received

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        self.paths.append(path)
        if path == "/boom":
            raise RuntimeError("boom")
        if path == "/early":
            await _answer(send, 200, b"early")
            return
        if path == "/limit":
            message = await receive()
            self.received.append(message)
            await _answer(send, 413 if message["more_body"] else 200, b"")
            return
        body = await _read_body(receive)
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for chunk in STREAM_CHUNKS:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"four"})
        elif path == "/watch":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"first", "more_body": True})
            self.started.set()
            self.received.append(await receive())
            self.watched.set()
        elif path == "/slow":
            self.started.set()
            await self.release.wait()
            await _answer(send, 200, b"slow done")
        elif path == "/sized":
            headers = [(b"content-length", b"10")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"sized body"})
        elif path == "/inject":
            headers = [(b"x-ok", b"1"), (b"x-bad", b"a\r\nx-injected: yes")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"injected"})
        elif path == "/state":
            state = {"state": scope["state"], "scheme": scope["scheme"]}
            await _answer(send, 200, json.dumps(state).encode())
        else:
            echo = {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode(),
                "body": body.decode(),
            }
            await _answer(send, 200, json.dumps(echo).encode())


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        chunk: bytes = message["body"]
        body += chunk
        if not message["more_body"]:
            return body


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- the client side ------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    chunks: list[bytes] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n == name]
        return ", ".join(values) if values else None

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One connection, spoken in raw bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, tls: ssl.SSLContext | None = None) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> None:
        self.writer.write(raw)
        await self.writer.drain()

    async def head(self) -> Response:
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        status_line, *lines = raw[:-4].decode("latin-1").split("\r\n")
        version, status, _ = status_line.split(" ", 2)
        assert version == "HTTP/1.1"
        headers = []
        for line in lines:
            name, _, value = line.partition(":")
            headers.append((name.lower(), value.strip()))
        return Response(int(status), headers)

    async def chunk(self) -> bytes:
        size_line = await asyncio.wait_for(self.reader.readuntil(b"\r\n"), TIMEOUT)
        data = await asyncio.wait_for(self.reader.readexactly(int(size_line, 16) + 2), TIMEOUT)
        assert data.endswith(b"\r\n")
        return data[:-2]

    async def response(self, *, head: bool = False) -> Response:
        """The next complete response; `head`: it answers a HEAD request (no body)."""
        response = await self.head()
        length = response.header("content-length")
        if head or response.status in (204, 304):
            pass
        elif response.header("transfer-encoding") == "chunked":
            assert length is None
            while chunk := await self.chunk():  # the last, empty one ends in the blank line
                response.chunks.append(chunk)
            response.body = b"".join(response.chunks)
        elif length is not None:
            response.body = await asyncio.wait_for(self.reader.readexactly(int(length)), TIMEOUT)
        else:
            response.body = await self.rest()
        return response

    async def rest(self) -> bytes:
        """Everything until the server closes the connection."""
        return await asyncio.wait_for(self.reader.read(), TIMEOUT)

    async def closed(self) -> bool:
        """True when the server closes the connection with nothing more to send."""
        return await self.rest() == b""

    def close(self) -> None:
        self.writer.close()


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(path: str, body: bytes, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def request(port: int, raw: bytes) -> Response:
    """`raw` on a fresh connection; its response."""
    client = await Client.open(port)
    try:
        await client.send(raw)
        return await client.response()
    finally:
        client.close()


@dataclass
class Served:
    server: Http1Server
    port: int
    app: EchoApp

    async def client(self) -> Client:
        return await Client.open(self.port)


Serve = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start an Http1Server (no TLS) on 127.0.0.1:0 with the given options; all are stopped."""
    started: list[Served] = []

    async def start(**options: Any) -> Served:
        app = EchoApp()
        server = Http1Server(app, **options)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        await server.start(sock)
        started.append(Served(server, port, app))
        return started[-1]

    try:
        yield start
    finally:
        for served in started:
            served.app.release.set()
            await served.server.stop(grace=1.0)


@pytest.fixture
async def served(serve: Serve) -> Served:
    return await serve()


# --- requests and responses -----------------------------------------------------------------


async def test_get_is_answered_and_the_connection_kept_alive(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/first?a=1&b=2"))
        first = await client.response()
        await client.send(get("/second"))
        second = await client.response()
    finally:
        client.close()
    assert first.status == 200
    assert first.header("content-length") == str(len(first.body))
    assert first.header("connection") is None
    assert first.json() == {"method": "GET", "path": "/first", "query": "a=1&b=2", "body": ""}
    assert second.status == 200
    assert second.json()["path"] == "/second"


async def test_pipelined_requests_are_answered_in_order(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/slow") + get("/after"))  # one write
        await asyncio.wait_for(served.app.started.wait(), TIMEOUT)
        served.app.release.set()
        first = await client.response()
        second = await client.response()
    finally:
        client.close()
    assert (first.status, first.body) == (200, b"slow done")
    assert (second.status, second.json()["path"]) == (200, "/after")


async def test_content_length_and_chunked_bodies_reach_the_app_whole(served: Served) -> None:
    chunked = (
        b"POST /chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1\r\n \r\n"
    )
    client = await served.client()
    try:
        await client.send(post("/sized-body", b"a body of some length"))
        by_length = await client.response()
        await client.send(chunked)  # the rest of the chunked body comes in a second write
        await client.send(b"b\r\nchunked rid\r\n3\r\nes!\r\n0\r\n\r\n")
        by_chunks = await client.response()
    finally:
        client.close()
    assert by_length.json()["body"] == "a body of some length"
    assert by_chunks.json()["body"] == "hello chunked rides!"


async def test_expect_100_continue_is_answered_before_the_body(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(
            b"POST /expect HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        interim = await client.head()
        await client.send(b"12345")
        final = await client.response()
    finally:
        client.close()
    assert interim.status == 100
    assert final.status == 200
    assert final.json()["body"] == "12345"


async def test_head_gets_the_head_and_no_body(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/sized").replace(b"GET", b"HEAD", 1))
        head = await client.response(head=True)
        await client.send(get("/sized"))  # no body bytes came in between: framing holds
        full = await client.response()
    finally:
        client.close()
    assert head.status == 200
    assert head.header("content-length") == "10"
    assert head.body == b""
    assert (full.status, full.body) == (200, b"sized body")


async def test_head_of_an_app_that_sends_a_body_sends_no_body_bytes(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/echo").replace(b"GET", b"HEAD", 1))
        head = await client.response(head=True)
        await client.send(get("/next"))
        after = await client.response()
    finally:
        client.close()
    assert head.status == 200
    assert head.header("transfer-encoding") is None
    assert after.json()["path"] == "/next"  # the echo body of the HEAD was not sent


async def test_a_streamed_response_is_chunked(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/stream", "Connection: close"))
        raw = await client.rest()
    finally:
        client.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ntransfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert body == b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n4\r\nfour\r\n0\r\n\r\n"


async def test_a_streamed_response_keeps_the_connection_usable(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/stream"))
        streamed = await client.response()
        await client.send(get("/after"))
        after = await client.response()
    finally:
        client.close()
    assert streamed.chunks == [*STREAM_CHUNKS, b"four"]
    assert after.json()["path"] == "/after"


async def test_an_http10_client_gets_no_chunked_response(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(b"GET /stream HTTP/1.0\r\n\r\n")
        raw = await client.rest()
    finally:
        client.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert body == b"onetwothreefour"


# --- what the server refuses ----------------------------------------------------------------


async def test_malformed_request_gets_400_and_close(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(b"GARBAGE\r\n\r\n")
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 400
    assert response.header("connection") == "close"
    assert response.json()["code"] == "INVALID_ARGUMENT"
    assert served.app.paths == []


@pytest.mark.parametrize(
    "raw",
    [
        get("/", "X-Big: " + "a" * 2000),
        get("/" + "a" * 2000),
        get("/", *(f"X-Many-{i}: {'a' * 20}" for i in range(100))),
    ],
    ids=["long-header", "long-url", "many-headers"],
)
async def test_a_head_over_max_head_gets_431_and_close(serve: Serve, raw: bytes) -> None:
    served = await serve(max_head=1024)
    client = await served.client()
    try:
        await client.send(raw)
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 431
    assert response.header("connection") == "close"
    assert served.app.paths == []


async def test_an_unterminated_header_over_max_head_gets_431(serve: Serve) -> None:
    served = await serve(max_head=1024, idle_timeout=1.0)
    client = await served.client()
    try:
        await client.send(b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 64 * 1024)
        response = await client.response()
    finally:
        client.close()
    assert response.status == 431


async def test_a_body_over_max_body_is_cut_and_the_connection_closed(serve: Serve) -> None:
    served = await serve(max_body=100)
    client = await served.client()
    try:
        # 150 of 1000 bytes: past the limit, and the rest is still to come.
        await client.send(post("/limit", b"x" * 1000)[:-850])
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    [message] = served.app.received
    assert message["more_body"] is True
    assert len(message["body"]) > 100
    assert response.status == 413
    assert response.header("connection") == "close"


async def test_a_chunked_body_cut_at_max_body_is_not_passed_as_whole(serve: Serve) -> None:
    served = await serve(max_body=100)
    chunks = b"".join(b"%x\r\n%s\r\n" % (n, b"x" * n) for n in (50, 100, 30)) + b"0\r\n\r\n"
    head = b"POST /limit HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    client = await served.client()
    try:
        await client.send(head + chunks)  # 180 bytes of body in one write
        response = await client.response()
    finally:
        client.close()
    [message] = served.app.received
    assert message["more_body"] or len(message["body"]) == 180
    assert response.status == 413


async def test_a_large_body_over_max_body_still_gets_its_413(serve: Serve) -> None:
    served = await serve(max_body=100)
    client = await served.client()
    try:
        client.writer.write(post("/limit", b"x" * 1_000_000))  # more than the server reads
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 413


async def test_a_failing_app_gets_500_and_the_server_serves_on(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/boom"))
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 500
    assert response.header("content-type") == "application/json"
    assert response.header("connection") == "close"
    assert response.json()["code"] == "INTERNAL"
    after = await request(served.port, get("/after"))
    assert after.json()["path"] == "/after"


async def test_an_unread_body_is_dropped_with_the_connection(served: Served) -> None:
    # The body looks like a request: it must never be parsed as one.
    smuggled = get("/smuggled")
    head = f"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: {100_000}\r\n\r\n"
    client = await served.client()
    try:
        await client.send(head.encode() + smuggled)  # the app answers before the body is in
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert (response.status, response.body) == (200, b"early")
    assert response.header("connection") == "close"
    assert served.app.paths == ["/early"]


async def test_a_header_value_with_crlf_does_not_reach_the_wire(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/inject"))
        raw = await client.rest()
    finally:
        client.close()
    assert b"\nx-injected" not in raw.lower()
    assert raw.startswith(b"HTTP/1.1 500 ")


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
