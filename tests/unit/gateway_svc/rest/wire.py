"""The pieces of the HTTPS edge tests (test_edge_*.py): an ASGI app with one behaviour per
path, a raw-bytes client over TLS, and the running server they meet on."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from gateway_svc.rest.server import RestServer
from svckit.pki import PkiPaths

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TIMEOUT = 5.0
STREAM_CHUNKS = (b"one", b"two", b"three")


class EchoApp:
    """The ASGI app under the server. Routes by path:

    /stream  several `more_body=True` chunks, then a last one ("four")
    /boom    raises before answering
    /early   answers 200 at once, never reads the body
    /watch   starts a streaming answer, then records what `receive()` returns next
    /late    reads the body, then waits for `release` before answering
    /slow    waits for `release` before answering
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
        self.received: list[Message] = []  # what /watch received

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        self.paths.append(path)
        if path == "/boom":
            raise RuntimeError("boom")
        if path == "/early":
            await _answer(send, 200, b"early")
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
        elif path in ("/slow", "/late"):
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
    async def open(cls, port: int, tls: ssl.SSLContext | None) -> Client:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=tls, server_hostname="localhost" if tls else None
        )
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
        try:
            return await self.rest() == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.writer.close()


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(path: str, body: bytes, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def client_tls(pki: PkiPaths, *, cert: bool = False) -> ssl.SSLContext:
    """Trusts our CA; `cert`: presents the admin certificate."""
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert:
        pair = pki.admin("admin")
        ctx.load_cert_chain(str(pair.cert), str(pair.key))
    return ctx


@dataclass
class Served:
    server: RestServer
    port: int
    app: EchoApp
    pki: PkiPaths

    async def client(self, *, cert: bool = False) -> Client:
        return await Client.open(self.port, client_tls(self.pki, cert=cert))

    async def request(self, raw: bytes) -> Response:
        """`raw` on a fresh connection; its response."""
        client = await self.client()
        try:
            await client.send(raw)
            return await client.response()
        finally:
            client.close()


Serve = Callable[..., Awaitable[Served]]
