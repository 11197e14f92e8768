"""Client channels to other services: mTLS with our own certificate, a default deadline on
every unary call, the request id carried along, and retries of UNAVAILABLE for idempotent
calls.

Defaults are applied by a thin wrapper around each multicallable rather than by a grpc client
interceptor: an aio interceptor costs a task and a call object on every RPC."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import grpc

from svckit import callctx
from svckit.interceptors import REQUEST_ID
from svckit.pki import CertPair, PkiPaths
from svckit.tls import channel_credentials

Metadata = Sequence[tuple[str, str | bytes]]


def outgoing_metadata(metadata: Metadata | None) -> Metadata | None:
    """`metadata` plus the current request id (unless it already carries one)."""
    rid = callctx.request_id()
    if not rid:
        return metadata
    if metadata is None:
        return ((REQUEST_ID, rid),)
    if any(k == REQUEST_ID for k, _ in metadata):
        return metadata
    return (*metadata, (REQUEST_ID, rid))


class _WithDefaults:
    """A multicallable that fills in the deadline and the request id."""

    __slots__ = ("_inner", "_timeout")

    def __init__(self, inner: Any, timeout: float | None) -> None:
        self._inner = inner
        self._timeout = timeout

    def __call__(
        self,
        request: Any,
        *,
        timeout: float | None = None,
        metadata: Metadata | None = None,
        **kw: Any,
    ) -> Any:
        return self._inner(
            request,
            timeout=self._timeout if timeout is None else timeout,
            metadata=outgoing_metadata(metadata),
            **kw,
        )


class DefaultsChannel(grpc.aio.Channel):  # type: ignore[misc]
    """A grpc.aio channel whose calls get a default deadline (unary calls only: streams such
    as watches are long-lived) and the current request id."""

    def __init__(self, inner: grpc.aio.Channel, timeout: float | None) -> None:
        self._inner = inner
        self._timeout = timeout

    def unary_unary(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self._inner.unary_unary(*args, **kw), self._timeout)

    def stream_unary(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self._inner.stream_unary(*args, **kw), self._timeout)

    def unary_stream(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self._inner.unary_stream(*args, **kw), None)

    def stream_stream(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self._inner.stream_stream(*args, **kw), None)

    async def close(self, grace: float | None = None) -> None:
        await self._inner.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._inner.channel_ready()

    async def __aenter__(self) -> DefaultsChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.close(None)


def _service_config(retry_methods: Iterable[str]) -> str:
    names = []
    for full in retry_methods:
        service, _, method = full.strip("/").partition("/")
        names.append({"service": service, "method": method} if method else {"service": service})
    if not names:
        return "{}"
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": names,
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


def open_channel(
    target: str,
    pki: PkiPaths,
    cert: CertPair | None,
    *,
    retry_methods: Iterable[str] = (),
    default_timeout: float | None = 10.0,
    server_name: str | None = None,
) -> grpc.aio.Channel:
    """An mTLS channel presenting `cert`. `retry_methods` are "/pkg.Svc/Method" (or
    "/pkg.Svc" for every method) that are safe to retry on UNAVAILABLE."""
    options: list[tuple[str, Any]] = [
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _service_config(retry_methods)),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    inner = grpc.aio.secure_channel(target, channel_credentials(pki, cert), options=options)
    return DefaultsChannel(inner, default_timeout)
