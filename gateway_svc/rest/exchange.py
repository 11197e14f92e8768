"""One request and its response on an HTTP/1.1 connection (http1.py): the ASGI `receive`
and `send` the app gets, the buffered request body, and the response's framing (the head goes
out with the first body bytes; Content-Length, chunked, or close-delimited for HTTP/1.0)."""

from __future__ import annotations

import asyncio
import http
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_STATUS_LINES = {
    s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode()) for s in http.HTTPStatus
}
DISCONNECT: Message = {"type": "http.disconnect"}
NO_BODY_STATUS = frozenset({204, 304})


def status_line(status: int) -> bytes:
    return _STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status


def error_response(status: int, message: str) -> bytes:
    """A complete response the server itself sends (the app never saw the request)."""
    code = {400: "INVALID_ARGUMENT", 431: "INVALID_ARGUMENT"}.get(status, "INTERNAL")
    body = b'{"code":"%s","message":"%s","details":[]}' % (code.encode(), message.encode())
    return (
        status_line(status)
        + b"content-type: application/json\r\nconnection: close\r\n"
        + b"content-length: %d\r\n\r\n" % len(body)
        + body
    )


class Wire(Protocol):
    """What an exchange needs of its connection."""

    loop: asyncio.AbstractEventLoop
    write_paused: bool
    body_timeout: float

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...

    def finished(self, exchange: Exchange) -> None: ...


class Exchange:
    """One request on a connection: its scope, buffered body, and response state. `receive`
    and `send` are the ASGI callables handed to the app."""

    __slots__ = (
        "body",
        "body_done",
        "chunked",
        "complete",
        "conn",
        "continue_sent",
        "disconnected",
        "expect_continue",
        "finished",
        "head_sent",
        "headers",
        "is_head",
        "keep_alive",
        "overflow",
        "scope",
        "status",
        "waiter",
    )

    def __init__(self, conn: Wire, scope: Scope, keep_alive: bool, expect: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect
        self.continue_sent = False
        self.is_head = scope["method"] == "HEAD"
        self.body = bytearray()
        self.complete = False  # the whole request (body included) has been parsed
        self.overflow = False  # the body went past the buffer limit; the rest is dropped
        self.body_done = False  # the app has been given the last body it will get
        self.disconnected = False
        self.waiter: asyncio.Future[None] | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_sent = False
        self.chunked = False
        self.finished = False

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> Message:
        if self.body_done:  # nothing more to read: wait for the client to go away
            while not self.disconnected and not self.finished:
                await self._wait()
            return DISCONNECT
        if not (self.complete or self.overflow or self.disconnected):
            if self.expect_continue and not self.continue_sent and not self.head_sent:
                self.continue_sent = True
                self.conn.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                async with asyncio.timeout(self.conn.body_timeout):
                    while not (self.complete or self.overflow or self.disconnected):
                        await self._wait()
            except TimeoutError:  # the body stopped coming: treat it as gone
                self.disconnected = True
                self.conn.close()
        if self.disconnected:
            return DISCONNECT
        body, more = bytes(self.body), self.overflow or not self.complete
        self.body.clear()
        self.body_done = True
        return {"type": "http.request", "body": body, "more_body": more}

    async def _wait(self) -> None:
        self.waiter = self.conn.loop.create_future()
        await self.waiter

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.status:
                raise RuntimeError("the response has already started")
            self.status = int(message["status"])
            self.headers = list(message.get("headers", ()))
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        if not self.status or self.finished:
            raise RuntimeError("http.response.body outside a response")
        if self.disconnected:
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        parts: list[bytes] = [] if self.head_sent else [self._head(body, more)]
        if self.is_head or self.status in NO_BODY_STATUS:
            pass
        elif self.chunked:
            if body:
                parts += (b"%x\r\n" % len(body), body, b"\r\n")
            if not more:
                parts.append(b"0\r\n\r\n")
        elif body:
            parts.append(body)
        if parts:
            self.conn.write(b"".join(parts) if len(parts) > 1 else parts[0])
        if not more:
            self.finished = True
            self.wake()
            self.conn.finished(self)
        elif self.conn.write_paused:
            await self.conn.drain()

    def _head(self, body: bytes, more: bool) -> bytes:
        out = [status_line(self.status)]
        has_length = says_close = False
        for name, value in self.headers:
            if b"\n" in value or b"\r" in value or b"\n" in name or b"\r" in name:
                raise RuntimeError(f"invalid response header {name!r}")
            lname = name.lower()
            if lname == b"content-length":
                has_length = True
            elif lname == b"connection" and b"close" in value.lower():
                self.keep_alive = False
                says_close = True
            out += (name, b": ", value, b"\r\n")
        if not has_length and self.status not in NO_BODY_STATUS:
            if not more:
                if not self.is_head:
                    out.append(b"content-length: %d\r\n" % len(body))
            elif self.scope["http_version"] == "1.0":  # no chunked for 1.0: close ends it
                self.keep_alive = False
            else:
                self.chunked = True
                out.append(b"transfer-encoding: chunked\r\n")
        if not self.complete:  # the app answered before the body ended: we cannot go on
            self.keep_alive = False
        if not self.keep_alive and not says_close:
            out.append(b"connection: close\r\n")
        out.append(b"\r\n")
        self.head_sent = True
        return b"".join(out)
