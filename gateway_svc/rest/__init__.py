"""REST /api/v1 transcoded to gRPC from the services' google.api.http annotations.

The gateway starts it with:

    rest_server = rest.serve(settings)      # inside the running event loop
    port = await rest_server.start()        # HTTPS on settings.rest_port (0 picks one)
    ...
    await rest_server.stop()                # also closes the backend channels
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from gateway_svc.rest import comments, mount, openapi
from gateway_svc.rest.app import RestApp
from gateway_svc.rest.auth import Authenticator
from gateway_svc.rest.codec import JsonCodec
from gateway_svc.rest.ready import BackendProbe
from gateway_svc.rest.router import Router
from gateway_svc.rest.server import RestServer
from gateway_svc.rest.settings import RestSettings, admin_token, backend_addresses, limits
from svckit.certfiles import CertWatch
from svckit.keepalive import Keepalive
from svckit.pki import PkiPaths
from svckit.rotating import RotatingChannel

__all__ = ["RestApp", "RestServer", "RestSettings", "build_app", "openapi_document", "serve"]

EXCLUDED = ("agent_runtime.testing.",)


def openapi_document(
    services: Iterable[ServiceDescriptor], success_status: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of these services' annotated RPCs."""
    svcs = list(services)
    routes = mount.compile_routes(svcs, JsonCodec(), success_status)
    notes = comments.load({s.file.package for s in svcs})
    return openapi.build(routes, notes)


def build_app(
    services: Iterable[ServiceDescriptor],
    channels: Mapping[str, grpc.aio.Channel],
    *,
    token: str | None,
    probe: Mapping[str, grpc.aio.Channel] | None = None,
    timeout: float = 10.0,
    max_body: int = 1 << 20,
    body_timeout: float = 15.0,
    success_status: Mapping[str, int] | None = None,
) -> RestApp:
    """The ASGI app for `services`; `channels` maps a service full name to its backend
    (services without one answer 501); `probe` maps backend names to channels for /readyz;
    `success_status` maps an RPC path to the status of its successful answer (default 200)."""
    svcs = list(services)
    routes = mount.compile_routes(svcs, JsonCodec(), success_status)
    notes = comments.load({s.file.package for s in svcs})
    doc = openapi.dumps(openapi.build(routes, notes))
    return RestApp(
        Router(routes),
        mount.bind_calls(routes, channels),
        Authenticator(token),
        ready=BackendProbe(probe or {}),
        openapi=doc,
        timeout=timeout,
        max_body=max_body,
        body_timeout=body_timeout,
    )


def backend_channel(
    addr: str, pki: PkiPaths, *, reload_interval: float = 30.0, keepalive: Keepalive | None = None
) -> grpc.aio.Channel:
    """An mTLS channel with the gateway's certificate. Unlike svckit.channels.open_channel it
    has no client interceptor (about 150 us per call): every REST call sets its own deadline
    and request id and passes the caller in metadata. It does follow certificate renewals
    (svckit.rotating: two comparisons per call), and pings as svckit.keepalive says, so a
    watch stream relayed to a backend that vanished ends instead of hanging."""
    watch = CertWatch(pki.ca_cert, pki.service("gateway"))
    return RotatingChannel(
        addr,
        watch,
        options=[
            ("grpc.max_receive_message_length", 16 << 20),
            *(keepalive or Keepalive()).client_options(),
        ],
        reload_interval=reload_interval,
    )


def serve(
    settings: RestSettings,
    *,
    services: Iterable[ServiceDescriptor] | None = None,
    port: int | None = None,
    token: str | None = None,
    addresses: Mapping[str, str] | None = None,
    success_status: Mapping[str, int] | None = None,
) -> RestServer:
    """Everything the gateway needs: one channel per backend (with the gateway's own
    certificate), the app, and the HTTPS server on `settings.bind_host`. Call inside the
    running loop; then `await server.start()`. A service `agent_runtime.<backend>.v1.*` is
    served by `settings.<backend>_addr`, unless `addresses` names its backend."""
    svcs = list(services) if services is not None else mount.discover(exclude=EXCLUDED)
    pki = settings.pki
    known = {**backend_addresses(settings), **(addresses or {})}
    by_backend: dict[str, grpc.aio.Channel] = {}
    by_service: dict[str, grpc.aio.Channel] = {}
    for service in svcs:
        key = mount.backend_key(service)
        addr = known.get(key)
        if not addr:
            continue
        if key not in by_backend:
            by_backend[key] = backend_channel(addr, pki, keepalive=settings.keepalive)
        by_service[service.full_name] = by_backend[key]
    edge = limits(settings)
    app = build_app(
        svcs,
        by_service,
        token=token if token is not None else admin_token(settings),
        probe=by_backend,
        timeout=settings.rpc_timeout_seconds,
        max_body=settings.rest_max_body_bytes,
        body_timeout=edge.idle_timeout,
        success_status=success_status,
    )

    async def close() -> None:
        for channel in by_backend.values():
            await channel.close()

    return RestServer(
        app,
        host=settings.bind_host,
        port=port if port is not None else settings.rest_port,
        cert=pki.rest,
        ca_cert=pki.ca_cert,
        limits=edge,
        on_stopping=app.shutdown,
        on_stop=close,
    )
