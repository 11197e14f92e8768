"""Builds the scheduler service; starts nothing."""

from __future__ import annotations

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc.authz import ALLOW
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.service import SchedulerServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name


def build_server(settings: SchedulerSettings, deps: Deps) -> Service:
    """The scheduler's gRPC service with its allow list, ready for `start()`."""
    servicer = SchedulerServicer(deps)
    add = service_pb2_grpc.add_SchedulerServiceServicer_to_server
    return Service("scheduler", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
