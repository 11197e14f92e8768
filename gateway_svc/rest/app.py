"""The REST API as a raw ASGI callable: route, authenticate, transcode, call, answer."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import grpc

from gateway_svc.rest import streaming
from gateway_svc.rest.auth import Authenticator
from gateway_svc.rest.errors import RestError, from_rpc_error
from gateway_svc.rest.router import Router
from gateway_svc.rest.transcode import too_large
from svckit.ids import RequestIds

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ReadyCheck = Callable[[], Awaitable[list[str]]]

log = logging.getLogger("gateway_svc.rest")
REQUEST_ID = "x-request-id"
ACTING_ADMIN = "x-acting-admin"
_JSON = [(b"content-type", b"application/json")]
_CLOSE = (b"connection", b"close")
_RID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
# Methods a browser may send cross-site without asking first (a CORS preflight) are GET, HEAD
# and POST with a form or text/plain body. Every method but GET and HEAD must say it sends JSON,
# which a cross-site form cannot, so a page elsewhere cannot make an admin's browser (with its
# client certificate) change anything here: CSRF.
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def _json_type(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _declares_body(headers: Mapping[bytes, bytes]) -> bool:
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


class RestApp:
    """ASGI app. `calls` maps each route's gRPC path to a multi-callable on its backend's
    channel; a route without one answers 501."""

    def __init__(
        self,
        router: Router,
        calls: Mapping[str, Any],
        auth: Authenticator,
        *,
        ready: ReadyCheck,
        openapi: bytes,
        timeout: float = 10.0,
        max_body: int = 1 << 20,
        body_timeout: float = 15.0,
    ) -> None:
        self._router = router
        self._calls = dict(calls)
        self._auth = auth
        self._ready = ready
        self._openapi = openapi
        self._timeout = timeout
        self._max_body = max_body
        self._body_timeout = body_timeout
        self._request_ids = RequestIds()
        self._stopping = asyncio.Event()

    def shutdown(self) -> None:
        """The server is stopping: open streams end (with an UNAVAILABLE error event), new ones
        are refused; other requests are unaffected."""
        self._stopping.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            return
        headers = dict(scope["headers"])
        rid = headers.get(b"x-request-id", b"")
        rid_s = rid.decode() if _RID.match(rid) else self._request_ids()
        extra = [(b"x-request-id", rid_s.encode())]
        started = time.perf_counter()
        status = 0
        body_read = False

        async def tracked(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        async def reading() -> MutableMapping[str, Any]:
            nonlocal body_read
            message = await receive()
            body_read = body_read or not message.get("more_body", False)
            return message

        try:
            await self._handle(scope, headers, rid_s, extra, reading, tracked)
        except RestError as err:
            answer = [*_JSON, *err.headers, *extra]
            if not body_read and _declares_body(headers):  # the body's rest is not worth reading
                answer.append(_CLOSE)
            await _respond(tracked, err.status, err.body(), answer)
        except Exception:
            log.exception("REST request failed", extra={"request_id": rid_s})
            if status:
                return  # the answer has begun: the server closes the connection
            failure = RestError("INTERNAL", "internal error")
            await _respond(tracked, failure.status, failure.body(), [*_JSON, *extra, _CLOSE])
        finally:
            log.info(
                "http",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 3),
                    "request_id": rid_s,
                },
            )

    async def _handle(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        rid: str,
        extra: list[tuple[bytes, bytes]],
        receive: Receive,
        send: Send,
    ) -> None:
        path: str = scope["path"]
        if path == "/healthz":
            await _respond(send, 200, b'{"status":"ok"}', [*_JSON, *extra])
            return
        if path == "/readyz":
            await self._readyz(send, extra)
            return
        who = self._auth.identify(scope, headers.get(b"authorization"))
        if path == "/api/v1/openapi.json" and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, self._openapi, [*_JSON, *extra])
            return
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else path
        method: str = scope["method"]
        route, captures = self._router.match(method, raw_path.split("?", 1)[0])
        if method not in _SAFE_METHODS and not _json_type(headers.get(b"content-type", b"")):
            raise RestError(
                "INVALID_ARGUMENT",
                f"{method} requests must be sent with Content-Type: application/json",
                status=415,
            )
        # The whole request is read before anything is called: a request whose framing breaks
        # off (the server answers 400) never reaches a backend, with a body or without one.
        body = await self._body(headers, receive)
        query = _query(scope.get("query_string", b""))
        request = route.build_request(captures, query, body if route.wants_body else None)
        call = self._calls.get(route.binding.rpc_path)
        if call is None:
            service = route.binding.method.containing_service.full_name
            raise RestError("UNIMPLEMENTED", f"{service} is not served by this gateway yet")
        metadata = ((REQUEST_ID, rid), (ACTING_ADMIN, who))
        if route.binding.server_streaming:
            fmt = streaming.pick_format(headers.get(b"accept", b""))
            if self._stopping.is_set():
                raise RestError("UNAVAILABLE", "the server is stopping")
            stream = call(request, metadata=metadata)
            await streaming.stream(stream, route, fmt, extra, send, receive, self._stopping)
            return
        try:
            response = await call(request, metadata=metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, route.binding.rpc_path) from None
        doc = route.response_obj(response)
        await _respond(send, route.success_status, _dumps(doc), [*_JSON, *extra])

    async def _readyz(self, send: Send, extra: list[tuple[bytes, bytes]]) -> None:
        down = await self._ready()
        if down:
            doc = {
                "status": "not-ready",
                "error": "backends not serving: " + ", ".join(down),
                "not_serving": down,
            }
            await _respond(send, 503, _dumps(doc), [*_JSON, *extra])
        else:
            await _respond(send, 200, b'{"status":"ready"}', [*_JSON, *extra])

    async def _body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        """The whole request body: 413 past the limit, 408 when it stops coming."""
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise too_large(self._max_body)
        message = await receive()
        if not message.get("more_body", False) and message["type"] == "http.request":
            body: bytes = message.get("body", b"")  # all of it came with the head: no timer
            if len(body) > self._max_body:
                raise too_large(self._max_body)
        else:
            try:
                async with asyncio.timeout(self._body_timeout):
                    body = await self._rest_of_body(message, receive)
            except TimeoutError:
                raise RestError(
                    "DEADLINE_EXCEEDED", "the request body did not arrive in time", status=408
                ) from None
        if body.strip() and not _json_type(headers.get(b"content-type", b"")):
            raise RestError(
                "INVALID_ARGUMENT", "the request body must be application/json", status=415
            )
        return body

    async def _rest_of_body(self, message: MutableMapping[str, Any], receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if message["type"] == "http.disconnect":
                raise RestError("CANCELLED", "client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                raise too_large(self._max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            message = await receive()


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _query(qs: bytes) -> list[tuple[str, str]]:
    if not qs:
        return []
    try:
        return parse_qsl(
            qs.decode("latin-1"),
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
        )
    except UnicodeDecodeError:
        raise RestError("INVALID_ARGUMENT", "query string is not valid UTF-8") from None


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
