"""A TLS proxy in front of a real IMAP server (tests/dovecot.py) that can hold a client's
STORE: the command is not passed on, so the flag change stays pending at the server for as
long as the test likes (`store_pending` is set when one arrives). Everything else goes
through unchanged, both ways. Built on the standard library's `socketserver` (a thread per
connection) and `ssl`; listens on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from svckit import testing

STORE = re.compile(rb"^\S+ (UID )?STORE ", re.IGNORECASE)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        proxy = self.server.proxy
        upstream_ctx = ssl.create_default_context()
        upstream_ctx.check_hostname, upstream_ctx.verify_mode = False, ssl.CERT_NONE
        raw = socket.create_connection(proxy.upstream, timeout=30)
        with upstream_ctx.wrap_socket(raw) as up:
            up.settimeout(None)
            back = threading.Thread(target=_pipe, args=(up, self.connection), daemon=True)
            back.start()
            while line := self.rfile.readline():
                if proxy.hold_store and STORE.match(line):
                    proxy.store_pending.set()
                    while self.rfile.readline():  # held: nothing more reaches the server
                        pass
                    break
                up.sendall(line)
            with contextlib.suppress(OSError):
                up.shutdown(socket.SHUT_RDWR)


def _pipe(src: ssl.SSLSocket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_RDWR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: HoldingProxy, context: ssl.SSLContext) -> None:
        self.proxy, self._context = proxy, context
        super().__init__(("127.0.0.1", proxy.port), _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        return self._context.wrap_socket(sock, server_side=True), addr


class HoldingProxy:
    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path) -> None:
        self.upstream, self.port = upstream, testing.free_port()
        self.hold_store = True
        self.store_pending = threading.Event()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = _Server(self, context)

    @contextlib.contextmanager
    def running(self) -> Iterator[HoldingProxy]:
        # shutdown() returns within 20 ms (the stdlib's poll interval is 0.5 s)
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(10)
