"""Server-streaming RPCs over HTTP: Server-Sent Events or newline-delimited JSON by Accept."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import grpc
from google.protobuf.message import Message

from gateway_svc.rest.errors import RestError, from_rpc_error
from gateway_svc.rest.transcode import Route

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
SSE = "text/event-stream"
NDJSON = "application/x-ndjson"


def pick_format(accept: bytes) -> str:
    """SSE when the client asks for it, newline-delimited JSON otherwise."""
    return SSE if b"text/event-stream" in accept else NDJSON


def _frame(fmt: str, obj: Any, error: bool = False) -> bytes:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if fmt == SSE:
        return (f"event: error\ndata: {text}\n\n" if error else f"data: {text}\n\n").encode()
    return (json.dumps({"error": obj}, separators=(",", ":")) if error else text).encode() + b"\n"


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read(
    call: grpc.aio.UnaryStreamCall[Message, Message], watcher: asyncio.Future[None]
) -> Any:
    """The next message. grpc.aio reports a call cancelled on our side as CancelledError; when
    neither the client left nor this task is being cancelled, the backend channel was closed
    under the call (a certificate renewal retires the old channel after a grace period), and
    that reads as UNAVAILABLE, like any lost backend connection."""
    try:
        return await call.read()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if watcher.done() or task is None or task.cancelling():
            raise
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.UNAVAILABLE,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            "the backend connection was closed",
        ) from None


async def stream(
    call: grpc.aio.UnaryStreamCall[Message, Message],
    route: Route,
    fmt: str,
    headers: list[tuple[bytes, bytes]],
    send: Send,
    receive: Receive,
) -> None:
    """Relay the stream. A failure before the first message is a plain HTTP error (raised);
    after it, an error event ends the stream. A client that goes away cancels the call."""
    watcher = asyncio.ensure_future(_wait_disconnect(receive))
    watcher.add_done_callback(lambda _: call.cancel())
    try:
        try:
            first = await _read(call, watcher)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, route.binding.rpc_path) from None
        head = [(b"content-type", fmt.encode()), (b"cache-control", b"no-cache"), *headers]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        msg = first
        while msg is not grpc.aio.EOF:
            frame = _frame(fmt, route.response_obj(msg))
            await send({"type": "http.response.body", "body": frame, "more_body": True})
            try:
                msg = await _read(call, watcher)
            except grpc.aio.AioRpcError as exc:
                err = from_rpc_error(exc, route.binding.rpc_path)
                if exc.code() != grpc.StatusCode.CANCELLED or not watcher.done():
                    doc = {"code": err.code, "message": err.message, "details": err.details}
                    await send(
                        {
                            "type": "http.response.body",
                            "body": _frame(fmt, doc, True),
                            "more_body": True,
                        }
                    )
                break
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except RestError:
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
