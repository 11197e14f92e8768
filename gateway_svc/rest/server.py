"""The HTTPS listener: our HTTP/1.1 server (http1.py) on a socket we bind, TLS from the dev
PKI, client certificates optional (an admin certificate authenticates; so does the bearer
token)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.http1 import App, Http1Server
from svckit.authz import Identity
from svckit.pki import CertPair


def _peer_state(transport: asyncio.BaseTransport) -> dict[str, Any]:
    """The verified client certificate's identity, for every request's scope state."""
    ssl_object = transport.get_extra_info("ssl_object")
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "URI":
            who = Identity.from_uri(value)
            if who is not None:
                return {PEER_IDENTITY: str(who)}
    return {}


def server_context(cert: CertPair, ca_cert: Path) -> ssl.SSLContext:
    """TLS 1.2+ with our certificate; a client certificate is optional but, when presented,
    must chain to our CA."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_cert))
    ctx.load_cert_chain(str(cert.cert), str(cert.key))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class RestServer:
    """Build, then `await start()` (returns the bound port; 0 picks one), `await stop()`."""

    def __init__(
        self,
        app: App,
        *,
        host: str,
        port: int,
        cert: CertPair,
        ca_cert: Path,
        max_body: int = 1 << 20,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._app = app
        self._host, self._port = host, port
        self._tls = server_context(cert, ca_cert)
        self._max_body = max_body
        self._server: Http1Server | None = None
        self._on_stop = on_stop
        self.port = 0

    async def start(self) -> int:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # proto IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so, and
        # without it every response pays Nagle + delayed ACK (~40 ms).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self.port = int(sock.getsockname()[1])
        server = Http1Server(
            self._app,
            ssl_context=self._tls,
            connection_state=_peer_state,
            max_body=self._max_body,
        )
        await server.start(sock)
        self._server = server
        return self.port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop(grace=5.0)
        if self._on_stop is not None:
            await self._on_stop()
