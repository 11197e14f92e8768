"""Builds the gateway service; starts nothing."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2, service_pb2_grpc
from gateway_svc.authz import ALLOW
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.service import GatewayServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name


def build_server(settings: GatewaySettings, deps: Deps) -> Service:
    """The gateway's gRPC service with its allow list, ready for `start()`."""
    servicer = GatewayServicer(
        deps, env=settings.env, public_host=settings.public_host, admin_host=settings.admin_host
    )
    add = service_pb2_grpc.add_GatewayServiceServicer_to_server
    service = Service("gateway", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
    service.on_stop.append(servicer.stop)
    return service
