"""One HTTPS connection of the REST edge: uvicorn's httptools protocol (llhttp parsing,
keep-alive, pipelining, flow control, the ASGI request/response cycle) plus what uvicorn leaves
out and the edge needs:

- the verified client certificate's identity in every request's scope state (auth.py);
- a request-head size limit (431) and a deadline for every head, from the connection's start
  or the previous response on (uvicorn arms its keep-alive timer only after a response, so a
  connection that never sends a whole request would stay open for ever);
- framing llhttp lets through that we refuse (400): Transfer-Encoding in an HTTP/1.0 request
  (RFC 9112 6.1), an HTTP/1.1 request without exactly one Host (RFC 9112 3.2), protocol
  upgrades (llhttp skips the body of an upgrade request, which would then be parsed as the
  next request); and a Transfer-Encoding other than `chunked` is refused before the app
  starts (llhttp finds that only after the head is complete);
- parser errors answered with the API's JSON error body and the reason, and never written in
  the middle of a response being sent (pipelining). uvicorn starts the app when a head is
  complete; a request whose framing fails in the same read is dropped before its app runs,
  and one whose body breaks off later reads as a client that went away;
- the listener is told when the connection is gone (its connection cap).
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
from collections.abc import Callable
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from gateway_svc.rest.auth import PEER_IDENTITY
from gateway_svc.rest.limits import Limits
from svckit.authz import Identity

log = logging.getLogger("gateway_svc.rest.protocol")


class Refused(Exception):
    """Raised in a parser callback: answer `status` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def error_response(status: int, message: str) -> bytes:
    """A whole response the edge sends itself (no app saw the request); closes the connection."""
    code = "INTERNAL" if status >= 500 else "INVALID_ARGUMENT"
    body = json.dumps({"code": code, "message": message, "details": {}}).encode()
    phrase = http.HTTPStatus(status).phrase.encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\nconnection: close\r\n"
        b"content-length: %d\r\n\r\n%s" % (status, phrase, len(body), body)
    )


def peer_state(transport: asyncio.BaseTransport) -> dict[str, Any]:
    """The verified client certificate's identity, for every request's scope state."""
    ssl_object = transport.get_extra_info("ssl_object")
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "URI":
            who = Identity.from_uri(value)
            if who is not None:
                return {PEER_IDENTITY: str(who)}
    return {}


class EdgeProtocol(HttpToolsProtocol):
    """Built by the listener for each accepted connection; `on_lost` runs when it closes."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        *,
        limits: Limits,
        on_lost: Callable[[], None],
    ) -> None:
        super().__init__(config, server_state, app_state={})
        self._app, self.app = self.app, self._unless_refused
        self._refused_scope: object = None
        self._limits = limits
        self._on_lost = on_lost
        self._in_head = True  # between requests, or inside a request's head
        self._head_size = 0  # request line and headers of this head, as parsed
        self._unparsed = 0  # bytes received since this head began (llhttp buffers a partial line)
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._close_after_response = False

    # --- transport callbacks --------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = peer_state(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)
        self._on_lost()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        keep_alive = self.timeout_keep_alive_task  # uvicorn's idle timer: data came
        if keep_alive is not None:
            keep_alive.cancel()
            self.timeout_keep_alive_task = None
        if self._in_head:
            self._unparsed += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # refused in on_headers_complete; not reached
            self._refuse(400, "protocol upgrades are not supported")
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, Refused):
                self._refuse(cause.status, cause.message)
                return
            if not isinstance(cause, httptools.HttpParserError | UnicodeDecodeError):
                log.error("HTTP parser callback failed", exc_info=cause)
            self._refuse(400, "malformed HTTP request")
        except httptools.HttpParserError as exc:
            self._refuse(400, f"malformed HTTP request: {exc}")
        else:
            if self._in_head and self._unparsed > self._limits.max_head:  # a line never ends
                self._refuse(431, "request head too large")

    # --- parser callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._unparsed = False, 0
        self._cancel_head_timer()
        self._check_framing()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._unparsed = True, 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if self._close_after_response:
            self.transport.close()
            return
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    # --- what the edge adds ---------------------------------------------------------------

    async def _unless_refused(self, scope: Any, receive: Any, send: Any) -> None:
        if scope is not self._refused_scope:  # refused after uvicorn created its task
            await self._app(scope, receive, send)

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self._limits.max_head:
            raise Refused(431, "request head too large")

    def _check_framing(self) -> None:
        hosts = 0
        codings: list[bytes] = []
        for name, value in self.headers:
            if name == b"host":
                hosts += 1
            elif name == b"transfer-encoding":
                codings += (c.strip().lower() for c in value.split(b","))
        version = self.parser.get_http_version()
        if codings and version == "1.0":
            raise Refused(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
        if codings and codings != [b"chunked"]:
            raise Refused(400, "the only Transfer-Encoding accepted is chunked")
        if version == "1.1" and hosts != 1:
            raise Refused(400, "an HTTP/1.1 request needs exactly one Host header")
        if self.parser.should_upgrade():
            raise Refused(400, "protocol upgrades are not supported")

    def _refuse(self, status: int, message: str) -> None:
        """The stream cannot be parsed on. Answer `status` and close, unless a response is
        being sent: then close after it (an answer cannot be written into another)."""
        self._refused = True
        self._cancel_head_timer()
        self.flow.pause_reading()
        cycle = self.cycle
        broken = cycle is not None and cycle.more_body and not cycle.response_complete
        if broken:  # its body will never complete: its app sees the client gone, or never runs
            cycle.disconnected = True
            cycle.message_event.set()
            self._refused_scope = cycle.scope
        answering = bool(self.pipeline) or (
            cycle is not None and cycle.response_started and not cycle.response_complete
        )
        self.pipeline.clear()  # queued requests are not started
        if not answering:
            self.transport.write(error_response(status, message))
            self.transport.close()
        elif broken and cycle.response_started:  # its answer cannot complete now
            self.transport.close()
        else:
            self._close_after_response = True

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self._limits.idle_timeout, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        cycle = self.cycle
        if not self.pipeline and (cycle is None or cycle.response_complete):
            self.transport.close()  # idle, or a head that did not end in time
