"""Client channels to other services: mTLS with our own certificate, a default deadline on
every call, the request id carried along, and retries of UNAVAILABLE for idempotent calls."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import grpc

from svckit import callctx
from svckit.interceptors import REQUEST_ID
from svckit.pki import CertPair, PkiPaths
from svckit.tls import channel_credentials


class _Defaults(
    grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.aio.UnaryStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds the default deadline (unless the caller set one) and the request id."""

    def __init__(self, timeout: float | None) -> None:
        self._timeout = timeout

    def _details(self, d: Any) -> Any:
        metadata = list(d.metadata or ())
        rid = callctx.request_id()
        if rid and not any(k == REQUEST_ID for k, _ in metadata):
            metadata.append((REQUEST_ID, rid))
        timeout = d.timeout if d.timeout is not None else self._timeout
        return grpc.aio.ClientCallDetails(
            d.method, timeout, metadata, d.credentials, d.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        # Streams (watch) are long-lived: no default deadline unless the caller gives one.
        d = self._details(details)
        if details.timeout is None:
            d = grpc.aio.ClientCallDetails(
                d.method, None, d.metadata, d.credentials, d.wait_for_ready
            )
        return await continuation(d, request)


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
    return grpc.aio.secure_channel(
        target,
        channel_credentials(pki, cert),
        options=options,
        interceptors=[_Defaults(default_timeout)],
    )
