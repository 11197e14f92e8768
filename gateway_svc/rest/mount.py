"""Which services are on the REST API, and the gRPC callables behind each route."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from gateway_svc.rest.codec import JsonCodec
from gateway_svc.rest.rules import is_annotated, service_bindings
from gateway_svc.rest.transcode import Route, compile_route


def discover(
    package: str = "agent_runtime", exclude: Iterable[str] = ()
) -> list[ServiceDescriptor]:
    """Every annotated service in the generated code under `package` (sorted by name), except
    those whose full name starts with one of `exclude`."""
    skip = tuple(exclude)
    root = importlib.import_module(package)
    found: dict[str, ServiceDescriptor] = {}
    for info in pkgutil.walk_packages(root.__path__, prefix=package + "."):
        if not info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            if is_annotated(service) and not service.full_name.startswith(skip):
                found[service.full_name] = service
    return [found[name] for name in sorted(found)]


def backend_key(service: ServiceDescriptor) -> str:
    """The backend that serves a service, by convention `agent_runtime.<backend>.v1.*`."""
    parts = service.full_name.split(".")
    return parts[1] if len(parts) > 2 else parts[0]


def compile_routes(
    services: Iterable[ServiceDescriptor],
    codec: JsonCodec,
    success_status: Mapping[str, int] | None = None,
) -> list[Route]:
    """Routes of every binding; `success_status` maps an RPC path (`/pkg.Svc/Method`) to the
    HTTP status of its successful answer (default 200)."""
    statuses = success_status or {}
    return [
        compile_route(b, codec, statuses.get(b.rpc_path, 200)) for b in service_bindings(services)
    ]


def bind_calls(routes: Iterable[Route], channels: Mapping[str, grpc.aio.Channel]) -> dict[str, Any]:
    """rpc path -> multi-callable, for the routes whose service has a channel (by full name)."""
    calls: dict[str, Any] = {}
    for route in routes:
        b = route.binding
        channel = channels.get(b.method.containing_service.full_name)
        if channel is None or b.rpc_path in calls:
            continue
        factory = channel.unary_stream if b.server_streaming else channel.unary_unary
        # _registered_method is grpc's private keyword, which typeshed leaves out
        calls[b.rpc_path] = factory(  # type: ignore[call-arg]
            b.rpc_path,
            request_serializer=route.request_cls.SerializeToString,
            response_deserializer=route.response_cls.FromString,
            _registered_method=True,  # as generated stubs do: the method is interned once
        )
    return calls
