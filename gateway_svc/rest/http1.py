"""A small HTTP/1.1 server for an ASGI app, on httptools: what the REST edge needs, no more.

Why not uvicorn: at one request in flight the edge's whole budget is a few hundred
microseconds (bench/rest_overhead.py). This server writes a response's head together with its
first body bytes (one TLS record, one send, one wake-up of the client instead of two), starts
the app straight from the parser callback, and keeps per-request state in one slotted object
(exchange.py).

What it does: keep-alive and pipelining (answered in order, one at a time), bodies by
Content-Length or chunked, `Expect: 100-continue`, HEAD, responses with Content-Length or
chunked (streaming), `http.disconnect` when the client goes away, write back-pressure, an
idle/header timeout, a header size limit, a body buffer limit, and a graceful stop. What it
does not: upgrades (WebSocket, h2c: the Upgrade header is ignored), trailers, HTTP/2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import unquote

import httptools

from gateway_svc.rest.exchange import Exchange, Receive, Scope, Send, error_response

App = Callable[[Scope, Receive, Send], Awaitable[None]]
# Per-connection ASGI "state", from the transport (e.g. the TLS peer's identity).
ConnectionState = Callable[[asyncio.BaseTransport], dict[str, Any]]

log = logging.getLogger("gateway_svc.rest.http1")

_MAX_PIPELINED = 8  # parsed-ahead requests per connection before reading pauses
# A closing connection drains a body nobody will read until the client has been quiet this
# long, and for this long at most.
_LINGER_QUIET = 0.25
_LINGER_MAX = 2.0


class _HeadTooLarge(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One client connection: the parser's callbacks, the request queue, flow control."""

    def __init__(self, server: Http1Server) -> None:
        self.server = server
        self.loop = server.loop
        self.body_timeout = server.idle_timeout  # a body that stops coming counts as gone
        self.transport: asyncio.Transport | None = None
        self.write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._state: dict[str, Any] = {}
        self._addr: tuple[Any, Any] = (None, None)
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._parsing: Exchange | None = None
        self._queue: deque[Exchange] = deque()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._stopping = False
        self._in_head = True  # between requests, or inside a request's head
        self._head_bytes = 0  # bytes received since this head began (llhttp buffers them)
        self._linger_until = 0.0

    # --- transport callbacks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._addr = (transport.get_extra_info("sockname"), transport.get_extra_info("peername"))
        if self.server.connection_state is not None:
            self._state = self.server.connection_state(transport)
        self.server.connections.add(self)
        self._arm_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed(self)
        self._cancel_timer()
        for req in self._queue:
            req.disconnected = True
            req.wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self._linger_until:  # the unread rest of a body, on a connection about to close
            self._linger()
            return
        if self._in_head:
            self._head_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # An Upgrade we do not speak: serve the request as plain HTTP/1.1, then close.
            self._refuse_more()
        except httptools.HttpParserCallbackError as exc:  # raised in one of our callbacks
            cause = exc.__context__
            if isinstance(cause, _HeadTooLarge):
                self._fail(431, "request head too large")
                return
            if not isinstance(cause, httptools.HttpParserError):  # a bad URL is the client's
                log.error("HTTP parser callback failed", exc_info=cause)
            self._fail(400, "malformed HTTP request")
        except httptools.HttpParserError:
            self._fail(400, "malformed HTTP request")
        else:
            if self._in_head and self._head_bytes > self.server.max_head:  # a line never ends
                self._fail(431, "request head too large")

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # --- parser callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._count(len(name) + len(value))

    def on_headers_complete(self) -> None:
        self._cancel_timer()
        self._in_head = False
        parser = self._parser
        url = httptools.parse_url(self._url)
        raw_path: bytes = url.path
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        method = parser.get_method().decode("ascii")
        expect = any(n == b"expect" and v.lower() == b"100-continue" for n, v in self._headers)
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": parser.get_http_version(),
            "server": self._addr[0],
            "client": self._addr[1],
            "scheme": "https" if self.server.tls else "http",
            "method": method,
            "root_path": "",
            "path": path,
            "raw_path": raw_path,
            "query_string": url.query or b"",
            "headers": self._headers,
            "state": self._state.copy(),
        }
        keep_alive = parser.should_keep_alive() and not self._stopping
        req = Exchange(self, scope, keep_alive, expect)
        self._parsing = req
        self._queue.append(req)
        if len(self._queue) == 1:
            self._start(req)
        elif len(self._queue) >= _MAX_PIPELINED and self.transport is not None:
            self.transport.pause_reading()

    def on_body(self, body: bytes) -> None:
        req = self._parsing
        if req is None or req.overflow:
            return
        req.body += body
        if len(req.body) > self.server.max_body:
            req.overflow = True
            req.keep_alive = False
            req.wake()

    def on_message_complete(self) -> None:
        req, self._parsing = self._parsing, None
        self._in_head, self._head_bytes = True, 0
        if req is not None:
            req.complete = True
            req.wake()

    # --- requests -------------------------------------------------------------------------

    def _start(self, req: Exchange) -> None:
        self._task = self.loop.create_task(self._run(req))

    async def _run(self, req: Exchange) -> None:
        try:
            await self.server.app(req.scope, req.receive, req.send)
        except Exception:
            log.exception("the app failed on %s %s", req.scope["method"], req.scope["path"])
        if not req.finished:  # it failed, or returned without finishing its answer
            if not req.head_sent and not req.disconnected:
                self.write(error_response(500, "internal error"))
            self._close_after(req)

    def finished(self, req: Exchange) -> None:
        """`req`'s response is complete: go on with the next request, or close."""
        if self._queue and self._queue[0] is req:
            self._queue.popleft()
        self._task = None
        if not req.keep_alive or self.transport is None:
            self._close_after(req)
            return
        if self._queue:
            self._start(self._queue[0])
            if len(self._queue) < _MAX_PIPELINED:
                self.transport.resume_reading()
        else:
            self._arm_timer()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        if self.write_paused and self.transport is not None:
            self._drain = self.loop.create_future()
            await self._drain

    def _close_after(self, req: Exchange) -> None:
        """Close after answering `req`. If its body was not read to the end, drain it for a
        while first (nginx's lingering close): closing with unread bytes in the socket makes
        the kernel send a reset, and the client would lose the answer."""
        if req.complete or self.transport is None or self.transport.is_closing():
            self.close()
            return
        self._linger_until = self.loop.time() + _LINGER_MAX
        self.transport.resume_reading()
        self._linger()

    def _linger(self) -> None:
        self._cancel_timer()
        when = min(self.loop.time() + _LINGER_QUIET, self._linger_until)
        self._timer = self.loop.call_at(when, self.close)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _fail(self, status: int, message: str) -> None:
        """The stream cannot be parsed on: answer (unless a request is being answered) and
        close after whatever is in progress."""
        if not self._queue:
            self.write(error_response(status, message))
            self.close()
            return
        self._refuse_more()
        broken = self._parsing  # its body will never complete: its app sees a disconnect
        if broken is not None:
            broken.disconnected = True
            broken.wake()

    def _refuse_more(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()
        for req in self._queue:
            req.keep_alive = False

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.server.max_head:
            raise _HeadTooLarge

    # --- timeouts and shutdown ------------------------------------------------------------

    def _arm_timer(self) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(self.server.idle_timeout, self._idle)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle(self) -> None:
        self._timer = None
        if not self._queue:
            self.close()

    def shutdown(self) -> None:
        """Stop: close when idle; finish the request in progress, then close. A streaming
        response is cut now (it would not end by itself)."""
        self._stopping = True
        if not self._queue:
            self.close()
            return
        self._refuse_more()
        if self._queue[0].chunked:
            self.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        if self._task is not None:
            self._task.cancel()


class Http1Server:
    """Build inside the running loop; `await start(sock)` serves `app` on a bound socket;
    `await stop(grace)`."""

    def __init__(
        self,
        app: App,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connection_state: ConnectionState | None = None,
        max_body: int = 1 << 20,
        max_head: int = 64 << 10,
        idle_timeout: float = 15.0,
    ) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.tls = ssl_context is not None
        self.connection_state = connection_state
        self.max_body = max_body
        self.max_head = max_head
        self.idle_timeout = idle_timeout
        self.connections: set[_Connection] = set()
        self.loop = asyncio.get_running_loop()
        self._server: asyncio.Server | None = None
        self._all_closed = asyncio.Event()

    def closed(self, conn: _Connection) -> None:
        self.connections.discard(conn)
        if not self.connections:
            self._all_closed.set()

    async def start(self, sock: socket.socket) -> None:
        self._server = await self.loop.create_server(
            lambda: _Connection(self), sock=sock, ssl=self.ssl_context, backlog=1024
        )

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let requests in progress finish for up to `grace` seconds, then
        drop whatever is left."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for conn in list(self.connections):
            conn.shutdown()
        if self.connections:
            self._all_closed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), grace)
        for conn in list(self.connections):
            conn.abort()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 1.0)
