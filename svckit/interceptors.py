"""The server-side wrapper every RPC goes through: request id, caller identity, allow list,
call context, error translation, metrics and one JSON log line.

Handlers are wrapped once, when a service is registered (see `register`), rather than by a
grpc interceptor: an interceptor costs an extra coroutine and a lookup on every call."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from svckit import callctx, errors
from svckit.authz import AllowList, Identity
from svckit.ids import RequestIds
from svckit.logs import RpcLog
from svckit.metrics import RpcMetrics
from svckit.tls import peer_identity

log = logging.getLogger("svckit.rpc")

REQUEST_ID = "x-request-id"
END_USER = "x-end-user"
ACTING_ADMIN = "x-acting-admin"
STATUS_DETAILS = "grpc-status-details-bin"
# The wrapper serves every service's methods, whatever their message types (a string: grpc's
# class is generic only in typeshed).
_Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

# Services open to any certificate of our CA, so operators can use grpcurl.
OPEN_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)
GATEWAY = Identity("svc", "gateway")


def asserted_admin(value: str | None) -> str | None:
    """An `x-acting-admin` value if it names an admin (`admin:<name>`, the characters an
    admin certificate's name may have), else None: a malformed assertion asserts nobody."""
    if not value:
        return None
    kind, _, name = value.partition(":")
    if kind != "admin" or not name or len(name) > 128:
        return None
    if not all(c.isalnum() or c in "-_." for c in name):
        return None
    return value


def status_metadata(err: errors.DomainError) -> tuple[tuple[str, bytes], ...]:
    """google.rpc.Status with an ErrorInfo carrying the error's details."""
    info = error_details_pb2.ErrorInfo(
        reason=err.code, domain="agent-runtime", metadata=err.details
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    code = grpc.StatusCode[err.code].value[0] if err.code in grpc.StatusCode.__members__ else 2
    status = status_pb2.Status(code=code, message=err.message, details=[detail])
    return ((STATUS_DETAILS, status.SerializeToString()),)


class _Call:
    """What the wrapper works out once per call."""

    __slots__ = ("ctx", "short")

    def __init__(self, ctx: callctx.CallContext, short: str) -> None:
        self.ctx = ctx
        self.short = short


class ServerWrapper:
    def __init__(self, allow: AllowList, metrics: RpcMetrics, rpc_log: RpcLog) -> None:
        self._allow = allow
        self._metrics = metrics
        self._log = rpc_log
        self._request_ids = RequestIds()

    def register(
        self, server: grpc.aio.Server, add: Callable[[Any, Any], None], servicer: Any
    ) -> None:
        """Run a generated `add_*_to_server` against a stand-in, then register the wrapped
        handlers on the real server."""
        capture = _Capture()
        add(servicer, capture)
        for service, handlers in capture.services.items():
            wrapped = {name: self._wrap(f"/{service}/{name}", h) for name, h in handlers.items()}
            server.add_generic_rpc_handlers(
                (grpc.method_handlers_generic_handler(service, wrapped),)
            )
            server.add_registered_method_handlers(service, wrapped)

    def _wrap(self, method: str, handler: _Handler) -> _Handler:
        service, _, short = method.rpartition("/")
        open_to_all = service.lstrip("/") in OPEN_SERVICES
        kw = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            fn = self._unary(method, short, open_to_all, handler.unary_unary)
            return grpc.unary_unary_rpc_method_handler(fn, **kw)
        if handler.unary_stream:
            fn = self._stream(method, short, open_to_all, handler.unary_stream)
            return grpc.unary_stream_rpc_method_handler(fn, **kw)
        if handler.stream_unary:
            fn = self._unary(method, short, open_to_all, handler.stream_unary)
            return grpc.stream_unary_rpc_method_handler(fn, **kw)
        fn = self._stream(method, short, open_to_all, handler.stream_stream)
        return grpc.stream_stream_rpc_method_handler(fn, **kw)

    async def _admit(self, context: Any, method: str, short: str, open_to_all: bool) -> _Call:
        md = dict(context.invocation_metadata() or ())
        rid = md.get(REQUEST_ID) or self._request_ids()
        caller = peer_identity(context)
        ctx = callctx.CallContext(
            request_id=rid,
            caller=caller,
            method=method,
            end_user=md.get(END_USER) if caller == GATEWAY else None,
            acting_admin=(
                asserted_admin(md.get(ACTING_ADMIN)) if self._allow.relays_admin(caller) else None
            ),
        )
        call = _Call(ctx, short)
        if not open_to_all and not self._allow.allows(short, caller):
            self._finish(call, "PERMISSION_DENIED", time.perf_counter())
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{caller} may not call {short}")
        return call

    def _finish(self, call: _Call, code: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        self._metrics.observe(call.short, code, elapsed)
        ctx = call.ctx
        self._log.write(
            ctx.method,
            ctx.caller.kind + ":" + ctx.caller.name,
            code,
            elapsed * 1000,
            ctx.request_id,
        )

    async def _fail(self, context: Any, exc: BaseException) -> str:
        if isinstance(exc, NotImplementedError):  # generated servicer bases raise this
            exc = errors.Unimplemented(f"{_short_method()} is not implemented yet")
        if isinstance(exc, errors.DomainError):
            code = exc.code if exc.code in grpc.StatusCode.__members__ else "UNKNOWN"
            await context.abort(grpc.StatusCode[code], exc.message, status_metadata(exc))
        log.exception("unhandled error", exc_info=exc)
        await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        return "INTERNAL"

    @asynccontextmanager
    async def _served(
        self, context: Any, method: str, short: str, open_: bool
    ) -> AsyncIterator[None]:
        """Admit the call, bind its context, and log and count it with the status it ended
        with; a domain error becomes its gRPC status here, once."""
        started = time.perf_counter()
        call = await self._admit(context, method, short, open_)
        token = callctx.bind(call.ctx)
        code = "OK"
        try:
            yield
        except grpc.aio.AbortError:
            code = _code_name(context)
            raise
        except Exception as exc:
            code = _error_code(exc)
            await self._fail(context, exc)
            raise
        finally:
            callctx.unbind(token)
            if code == "OK":
                code = _code_name(context)
            self._finish(call, code, started)

    def _unary(self, method: str, short: str, open_: bool, inner: Any) -> Any:
        async def behavior(request: Any, context: Any) -> Any:
            async with self._served(context, method, short, open_):
                return await inner(request, context)

        return behavior

    def _stream(self, method: str, short: str, open_: bool, inner: Any) -> Any:
        async def behavior(request: Any, context: Any) -> AsyncIterator[Any]:
            async with self._served(context, method, short, open_):
                answer = inner(request, context)
                if hasattr(answer, "__aiter__"):
                    async for item in answer:
                        yield item
                else:  # a servicer writing with context.write() (grpc_health's Watch)
                    await answer

        return behavior


class _Capture:
    """Stands in for the server while generated code registers its method handlers."""

    def __init__(self) -> None:
        self.services: dict[str, dict[str, _Handler]] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # the same handlers also arrive through add_registered_method_handlers

    def add_registered_method_handlers(self, service: str, handlers: dict[str, _Handler]) -> None:
        self.services[service] = handlers


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, errors.DomainError):
        return exc.code
    return "UNIMPLEMENTED" if isinstance(exc, NotImplementedError) else "INTERNAL"


def _short_method() -> str:
    return callctx.current().method.rpartition("/")[2] or "this method"


def _code_name(context: Any) -> str:
    code = context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    return "UNKNOWN"
