"""Builds the orchestrator service; starts nothing."""

from __future__ import annotations

from agent_runtime.orchestrator.v1 import service_pb2, service_pb2_grpc
from orchestrator_svc.authz import ALLOW
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.service import OrchestratorServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["OrchestratorService"].full_name


def build_server(settings: OrchestratorSettings, deps: Deps) -> Service:
    """The orchestrator's gRPC service with its allow list, ready for `start()`."""
    servicer = OrchestratorServicer(deps)
    add = service_pb2_grpc.add_OrchestratorServiceServicer_to_server
    return Service("orchestrator", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
