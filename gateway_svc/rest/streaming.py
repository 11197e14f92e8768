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
CLIENT_LEFT, SERVER_STOPPING = "client left", "server stopping"


class _Ended(Exception):
    """The stream was ended on our side: the client left, or the server is stopping."""


def pick_format(accept: bytes) -> str:
    """SSE when the client asks for it, newline-delimited JSON otherwise."""
    return SSE if b"text/event-stream" in accept else NDJSON


def _frame(fmt: str, obj: Any, error: bool = False) -> bytes:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if fmt == SSE:
        return (f"event: error\ndata: {text}\n\n" if error else f"data: {text}\n\n").encode()
    return (json.dumps({"error": obj}, separators=(",", ":")) if error else text).encode() + b"\n"


async def _until_ended(receive: Receive, stopping: asyncio.Event) -> str:
    """Why the stream must end: the client went away, or the server is stopping."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    waits = [asyncio.ensure_future(disconnected()), asyncio.ensure_future(stopping.wait())]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    return CLIENT_LEFT if waits[0] in done else SERVER_STOPPING


async def _read(
    call: grpc.aio.UnaryStreamCall[Message, Message], watcher: asyncio.Future[str]
) -> Any:
    """The next message. grpc.aio reports a call cancelled on our side as CancelledError (or
    a CANCELLED status): that is the watcher's doing (_Ended), unless this task is being
    cancelled. Otherwise the backend channel was closed under the call (a certificate renewal
    retires the old channel after a grace period), and that reads as UNAVAILABLE, like any lost
    backend connection."""
    try:
        return await call.read()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        if watcher.done():
            raise _Ended from None
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.UNAVAILABLE,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            "the backend connection was closed",
        ) from None
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.CANCELLED and watcher.done():
            raise _Ended from None
        raise


def _why(watcher: asyncio.Future[str]) -> str:
    return watcher.result() if watcher.done() and not watcher.cancelled() else CLIENT_LEFT


async def stream(
    call: grpc.aio.UnaryStreamCall[Message, Message],
    route: Route,
    fmt: str,
    headers: list[tuple[bytes, bytes]],
    send: Send,
    receive: Receive,
    stopping: asyncio.Event,
) -> None:
    """Relay the stream. A failure before the first message is a plain HTTP error (raised);
    after it, an error event ends the stream. A client that goes away cancels the call; so does
    the server stopping, which ends the stream with an UNAVAILABLE error event."""
    watcher = asyncio.ensure_future(_until_ended(receive, stopping))
    watcher.add_done_callback(lambda _: call.cancel())
    try:
        try:
            first = await _read(call, watcher)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, route.binding.rpc_path) from None
        except _Ended:
            if _why(watcher) == SERVER_STOPPING:
                raise RestError("UNAVAILABLE", "the server is stopping") from None
            return  # nobody to answer
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
                await _send_error(send, fmt, err)
                break
            except _Ended:
                if _why(watcher) == SERVER_STOPPING:
                    await _send_error(send, fmt, RestError("UNAVAILABLE", "the server is stopping"))
                break
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _send_error(send: Send, fmt: str, err: RestError) -> None:
    doc = {"code": err.code, "message": err.message, "details": err.details}
    await send({"type": "http.response.body", "body": _frame(fmt, doc, True), "more_body": True})
