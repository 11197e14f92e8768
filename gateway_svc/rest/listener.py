"""The REST edge's listening socket, served by uvicorn's HTTP/1.1 protocol (protocol.py).

We accept connections ourselves instead of running `uvicorn.Server`, for two things it does
not do: a deadline on each TLS handshake (its `create_server` call passes no
`ssl_handshake_timeout`, so a client that connects and never says hello holds a file
descriptor for ever), and a cap on open connections that keeps file descriptors for the rest
of the process. uvicorn's `limit_concurrency` is not that cap: it counts connections with a
finished handshake plus running requests, and only when a request arrives, answering it 503;
the connection itself is kept, and handshakes in progress are not counted. Here a connection
counts from `accept` to close, handshake included, and one beyond the cap is closed at once,
before any TLS work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from gateway_svc.rest.limits import Limits
from gateway_svc.rest.protocol import EdgeProtocol

App = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

log = logging.getLogger("gateway_svc.rest.listener")

_BACKLOG = 1024
# How long a closed connection waits for the client's TLS close_notify before it is dropped.
_TLS_SHUTDOWN_TIMEOUT = 2.0
# After accept() fails (out of file descriptors, say), wait this long before the next try.
_ACCEPT_RETRY = 0.1


class Listener:
    """Build inside the running loop; `await start(sock)` serves `app` on a bound socket;
    `await stop(grace)`."""

    def __init__(
        self,
        app: App,
        ssl_context: ssl.SSLContext,
        limits: Limits,
        *,
        on_stopping: Callable[[], None] | None = None,
    ) -> None:
        self._config = uvicorn.Config(
            app,
            http=EdgeProtocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            access_log=False,  # RestApp logs one line per request
            proxy_headers=False,  # nothing proxies us
            server_header=False,
            date_header=False,
            timeout_keep_alive=max(1, math.ceil(limits.idle_timeout)),
        )
        self._config.load()
        self._state = ServerState()
        self._ssl = ssl_context
        self._limits = limits
        self._on_stopping = on_stopping
        self._open = 0  # accepted and not yet closed, handshakes included
        self._handshakes: set[asyncio.Task[None]] = set()
        self._accepting: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._all_closed = asyncio.Event()
        self._at_cap = False

    @property
    def open_connections(self) -> int:
        return self._open

    async def start(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        sock.listen(_BACKLOG)
        self._sock = sock
        self._accepting = asyncio.get_running_loop().create_task(self._accept_forever(sock))

    async def _accept_forever(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:  # EMFILE and friends: what we hold will free some
                log.warning("accept failed", extra={"problem": str(exc)})
                await asyncio.sleep(_ACCEPT_RETRY)
                continue
            if self._open >= self._limits.max_connections:
                conn.close()
                if not self._at_cap:
                    self._at_cap = True
                    log.warning(
                        "REST connection cap reached: refusing new connections",
                        extra={"max_connections": self._limits.max_connections},
                    )
                continue
            self._at_cap = False
            self._open += 1
            task = loop.create_task(self._handshake(conn))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _handshake(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle + delayed ACK
        made: list[EdgeProtocol] = []

        def protocol() -> EdgeProtocol:
            made.append(
                EdgeProtocol(self._config, self._state, limits=self._limits, on_lost=self._closed)
            )
            return made[0]

        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                protocol,
                conn,
                ssl=self._ssl,
                ssl_handshake_timeout=self._limits.handshake_timeout,
                ssl_shutdown_timeout=_TLS_SHUTDOWN_TIMEOUT,
            )
        except (Exception, asyncio.CancelledError):
            # No handshake (timed out, failed, cut, or we are stopping). The transport closes
            # the socket; the protocol never ran, so nothing else counts this one as closed.
            if not made or made[0].transport is None:
                self._closed()

    def _closed(self) -> None:
        self._open -= 1
        if self._open == 0:
            self._all_closed.set()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting; close idle connections, end streams (`on_stopping`), let requests
        in progress finish for up to `grace` seconds, then drop whatever is left."""
        accepting, self._accepting = self._accepting, None
        if accepting is None:
            return
        accepting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await accepting
        if self._sock is not None:
            self._sock.close()
        for task in list(self._handshakes):
            task.cancel()
        await asyncio.gather(*self._handshakes, return_exceptions=True)
        for conn in list(self._state.connections):
            conn.shutdown()  # idle: closed now; busy: closed after the response in progress
        if self._on_stopping is not None:
            self._on_stopping()
        if self._open:
            self._all_closed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), grace)
        for conn in list(self._state.connections):
            if conn.transport is not None:
                conn.transport.abort()
        for task in list(self._state.tasks):
            task.cancel()
        await asyncio.gather(*self._state.tasks, return_exceptions=True)
