"""The HTTPS listener: our HTTP/1.1 server (http1.py) on a socket we bind, TLS from the dev
PKI, client certificates optional (an admin certificate authenticates; so does the bearer
token). Renewed certificate files are loaded into the live context: new handshakes use them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.http1 import App, Http1Server
from svckit.authz import Identity
from svckit.certfiles import CertWatch
from svckit.pki import CertPair

log = logging.getLogger("gateway_svc.rest.server")


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
        reload_interval: float = 5.0,
    ) -> None:
        self._app = app
        self._host, self._port = host, port
        self._cert = cert
        self._watch = CertWatch(ca_cert, cert)
        self._tls = server_context(cert, ca_cert)
        self._reload_interval = reload_interval
        self._reloader: asyncio.Task[None] | None = None
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
        self._reloader = asyncio.get_running_loop().create_task(self._reload_forever())
        return self.port

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(self._reload_interval)
            self.reload()

    def reload(self) -> None:
        """Load renewed certificate files (once they validate) into the live context."""
        new = self._watch.check()
        if new is None:
            return
        # load_cert_chain reads the files itself (there is no in-memory variant). Should they
        # be swapped between its reads of the certificate and the key, it fails and leaves
        # the context with no usable key; the swap is over by then, so read them once more.
        for attempt in (1, 2):
            try:
                self._tls.load_cert_chain(str(self._cert.cert), str(self._cert.key))
                self._tls.load_verify_locations(cadata=new.ca.decode())
                return
            except (OSError, ValueError, ssl.SSLError) as exc:
                if attempt == 2:
                    log.warning("renewed REST certificate not loaded", extra={"problem": str(exc)})
                    self._watch.retry()  # and again at the next round

    async def stop(self) -> None:
        reloader, self._reloader = self._reloader, None
        if reloader is not None:
            reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reloader
        server, self._server = self._server, None
        if server is not None:
            await server.stop(grace=5.0)
        if self._on_stop is not None:
            await self._on_stop()
