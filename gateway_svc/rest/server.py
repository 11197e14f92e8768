"""The HTTPS listener: uvicorn on a socket we bind, TLS from the dev PKI, client certificates
optional (an admin certificate authenticates; so does the bearer token)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from gateway_svc.rest.auth import PEER_IDENTITY
from svckit.authz import Identity
from svckit.pki import CertPair


def _peer_identity(transport: Any) -> str | None:
    ssl_object = transport.get_extra_info("ssl_object")
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "URI":
            who = Identity.from_uri(value)
            if who is not None:
                return str(who)
    return None


def _protocol_class() -> type[Any]:
    base: type[Any] = H11Protocol
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # httptools is optional; h11 always works
        pass

    class PeerIdentityProtocol(base):  # type: ignore[misc]
        """Puts the verified client certificate's identity in every request's scope state."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            state: dict[str, Any] = self.app_state  # type: ignore[has-type]
            who = _peer_identity(transport)
            if who is not None:
                self.app_state = {**state, PEER_IDENTITY: who}

    return PeerIdentityProtocol


class RestServer:
    """Build, then `await start()` (returns the bound port; 0 picks one), `await stop()`."""

    def __init__(
        self,
        app: Any,
        *,
        host: str,
        port: int,
        cert: CertPair,
        ca_cert: Path,
        on_stop: Any = None,
    ) -> None:
        self._config = uvicorn.Config(
            app,
            http=_protocol_class(),
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,  # nothing proxies us; and it costs a middleware per request
            server_header=False,
            ssl_certfile=str(cert.cert),
            ssl_keyfile=str(cert.key),
            ssl_ca_certs=str(ca_cert),
            ssl_cert_reqs=ssl.CERT_OPTIONAL,
            timeout_graceful_shutdown=5,
        )
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._sock: socket.socket | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._on_stop = on_stop
        self.port = 0

    async def start(self) -> int:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # proto IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so, and
        # without it every response pays Nagle + delayed ACK (~40 ms).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.set_inheritable(True)
        self._sock = sock
        self.port = int(sock.getsockname()[1])
        config = self._config
        if not config.loaded:
            config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        # Not server.serve(): that installs signal handlers; the gateway's own run() owns those.
        await server.startup(sockets=[sock])
        self._server = server
        self._loop_task = asyncio.create_task(server.main_loop())
        return self.port

    async def stop(self) -> None:
        server, task = self._server, self._loop_task
        if server is not None and task is not None:
            server.should_exit = True
            await task
            await server.shutdown(sockets=[self._sock] if self._sock else None)
        if self._sock is not None:
            self._sock.close()
        self._server = self._loop_task = self._sock = None
        if self._on_stop is not None:
            await self._on_stop()
