"""Client channels to other services: mTLS with our own certificate, a default deadline on
every unary call, the request id carried along (and, on channels that relay it, the admin
behind the call being served), and retries of UNAVAILABLE for idempotent calls.

Defaults are applied by a thin wrapper around each multicallable rather than by a grpc client
interceptor: an aio interceptor costs a task and a call object on every RPC. The same wrapper
follows certificate renewals (svckit.rotating)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from time import monotonic
from typing import Any

import grpc

from svckit import callctx
from svckit.certfiles import CertWatch
from svckit.interceptors import ACTING_ADMIN, REQUEST_ID
from svckit.keepalive import Keepalive
from svckit.pki import CertPair, PkiPaths
from svckit.rotating import Rebinding, RotatingChannel

Metadata = Sequence[tuple[str, str | bytes]]


def outgoing_metadata(metadata: Metadata | None, relay_admin: bool = False) -> Metadata | None:
    """`metadata` plus the current request id (unless it already carries one) and, when
    `relay_admin`, the admin behind the call being served (`x-acting-admin`: the admin
    certificate that called us, or the admin our own caller was believed on)."""
    rid = callctx.request_id()
    admin = callctx.acting_admin() if relay_admin else None
    if admin is not None:
        if metadata is None:
            metadata = ((ACTING_ADMIN, admin),)
        elif not any(k == ACTING_ADMIN for k, _ in metadata):
            metadata = (*metadata, (ACTING_ADMIN, admin))
    if not rid:
        return metadata
    if metadata is None:
        return ((REQUEST_ID, rid),)
    if any(k == REQUEST_ID for k, _ in metadata):
        return metadata
    return (*metadata, (REQUEST_ID, rid))


class _WithDefaults(Rebinding):
    """A multicallable that fills in the deadline and the request id (and follows the
    channel's certificate renewals, as `Rebinding`: one frame per call, not two)."""

    __slots__ = ("_relay", "_timeout")

    def __init__(
        self, channel: DefaultsChannel, kind: str, args: Any, kw: Any, timeout: float | None
    ) -> None:
        super().__init__(channel, kind, args, kw)
        self._timeout = timeout
        self._relay = channel.relay_admin

    def __call__(
        self,
        request: Any,
        *,
        timeout: float | None = None,
        metadata: Metadata | None = None,
        **kw: Any,
    ) -> Any:
        ch = self._channel
        if self._source is not ch.inner or monotonic() >= ch.due:
            self._rebind()
        return self._call(
            request,
            timeout=self._timeout if timeout is None else timeout,
            metadata=outgoing_metadata(metadata, self._relay),
            **kw,
        )


class DefaultsChannel(RotatingChannel):
    """A channel whose calls get a default deadline (unary calls only: streams such as
    watches are long-lived), the current request id and, if `relay_admin`, the acting
    admin."""

    def __init__(
        self,
        target: str,
        watch: CertWatch,
        timeout: float | None,
        *,
        relay_admin: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(target, watch, **kw)
        self._timeout = timeout
        self.relay_admin = relay_admin

    def unary_unary(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self, "unary_unary", args, kw, self._timeout)

    def stream_unary(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self, "stream_unary", args, kw, self._timeout)

    def unary_stream(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self, "unary_stream", args, kw, None)

    def stream_stream(self, *args: Any, **kw: Any) -> Any:
        return _WithDefaults(self, "stream_stream", args, kw, None)


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
    reload_interval: float = 30.0,
    retire_grace: float = 30.0,
    relay_admin: bool = False,
    keepalive: Keepalive | None = None,
) -> grpc.aio.Channel:
    """An mTLS channel presenting `cert`. `retry_methods` are "/pkg.Svc/Method" (or
    "/pkg.Svc" for every method) that are safe to retry on UNAVAILABLE. `relay_admin`: calls
    made while serving a call with an acting admin carry that admin along (`x-acting-admin`),
    for a peer that believes us on it (the store records it in its audit log). Renewed certificate
    files are noticed within `reload_interval` seconds and used for new calls; calls on the
    channel they replace get `retire_grace` seconds (svckit.rotating). `keepalive`: the
    service's `settings.keepalive` (default: svckit.keepalive's defaults)."""
    options: list[tuple[str, Any]] = [
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _service_config(retry_methods)),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
        *(keepalive or Keepalive()).client_options(),
    ]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return DefaultsChannel(
        target,
        CertWatch(pki.ca_cert, cert),
        default_timeout,
        options=options,
        reload_interval=reload_interval,
        grace=retire_grace,
        relay_admin=relay_admin,
    )
