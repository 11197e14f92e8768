"""The HTTPS listener: uvicorn's HTTP/1.1 protocol behind our listener (listener.py) on a
socket we bind, TLS from the dev PKI, client certificates optional (an admin certificate
authenticates; so does the bearer token). Renewed certificate files are loaded into the live
context: new handshakes use them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

from gateway_svc.rest.limits import Limits
from gateway_svc.rest.listener import App, Listener
from svckit.certfiles import CertWatch
from svckit.pki import CertPair

log = logging.getLogger("gateway_svc.rest.server")


def server_context(cert: CertPair, ca_cert: Path) -> ssl.SSLContext:
    """TLS 1.2+ with our certificate; a client certificate is optional but, when presented,
    must chain to our CA."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_cert))
    ctx.load_cert_chain(str(cert.cert), str(cert.key))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class RestServer:
    """Build, then `await start()` (returns the bound port; 0 picks one), `await stop()`.
    `on_stopping` runs when stop begins (the app ends its streams); `on_stop` after the last
    connection is gone."""

    def __init__(
        self,
        app: App,
        *,
        host: str,
        port: int,
        cert: CertPair,
        ca_cert: Path,
        limits: Limits | None = None,
        on_stopping: Callable[[], None] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
        reload_interval: float = 5.0,
        grace: float = 5.0,
    ) -> None:
        self._app = app
        self._host, self._port = host, port
        self._cert = cert
        self._watch = CertWatch(ca_cert, cert)
        self._tls = server_context(cert, ca_cert)
        self._limits = limits or Limits()
        self._reload_interval = reload_interval
        self._grace = grace
        self._reloader: asyncio.Task[None] | None = None
        self._listener: Listener | None = None
        self._on_stopping = on_stopping
        self._on_stop = on_stop
        self.port = 0

    @property
    def open_connections(self) -> int:
        """Connections accepted and not yet closed (TLS handshakes included)."""
        return self._listener.open_connections if self._listener is not None else 0

    async def start(self) -> int:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self.port = int(sock.getsockname()[1])
        listener = Listener(self._app, self._tls, self._limits, on_stopping=self._on_stopping)
        await listener.start(sock)
        self._listener = listener
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
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.stop(grace=self._grace)
        if self._on_stop is not None:
            await self._on_stop()
