"""Builds the scheduler service and its firing loop; starts nothing."""

from __future__ import annotations

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc.authz import ALLOW
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.firing import Firer
from scheduler_svc.leader import Leadership
from scheduler_svc.loop import FiringLoop
from scheduler_svc.service import SchedulerServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name


def build_loop(
    settings: SchedulerSettings, deps: Deps, leadership: Leadership | None = None
) -> FiringLoop:
    """The firing loop, not started; `leadership` overrides this process's lease holder."""
    firer = Firer(deps.objectives, deps.tasks, settings.scheduler_catchup_seconds)
    lead = leadership or Leadership(deps.leases, settings.scheduler_lease_ttl_seconds)
    return FiringLoop(deps.objectives, firer, lead, deps.clock, settings.scheduler_tick_seconds)


def build_server(
    settings: SchedulerSettings, deps: Deps, loop: FiringLoop | None = None
) -> Service:
    """The scheduler's gRPC service with its allow list, ready for `start()`. The firing loop
    starts with it (unless `scheduler_firing` is off) and stops with it, giving up the lease.
    Stop hooks run last-added first: add the one closing its channels at the front."""
    loop = loop or build_loop(settings, deps)
    servicer = SchedulerServicer(deps, loop.firer, loop.wake)
    add = service_pb2_grpc.add_SchedulerServiceServicer_to_server
    service = Service("scheduler", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
    if settings.scheduler_firing:

        async def start_loop() -> None:
            loop.start()

        service.on_start.append(start_loop)
        service.on_stop.append(loop.stop)
    return service
