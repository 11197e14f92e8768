"""Builds the connectors service; starts nothing."""

from __future__ import annotations

from agent_runtime.connectors.v1 import service_pb2, service_pb2_grpc
from connectors_svc.authz import ALLOW
from connectors_svc.config import ConnectorsSettings
from connectors_svc.deps import Deps
from connectors_svc.service import ConnectorsServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["ConnectorsService"].full_name


def build_server(settings: ConnectorsSettings, deps: Deps) -> Service:
    """The connectors gRPC service with its allow list, ready for `start()`."""
    servicer = ConnectorsServicer(deps)
    add = service_pb2_grpc.add_ConnectorsServiceServicer_to_server
    return Service("connectors", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
