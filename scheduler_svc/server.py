"""Builds the scheduler service and its firing loop; starts nothing."""

from __future__ import annotations

from prometheus_client import Gauge

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc.authz import ALLOW
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.firing import Firer
from scheduler_svc.leader import Leadership
from scheduler_svc.loop import FiringLoop
from scheduler_svc.outcomes import FailurePolicy, Reconciler
from scheduler_svc.service import SchedulerServicer
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name


def _gauges(service: Service, loop: FiringLoop) -> None:
    """`/metrics`: leadership, and what the loop fired, missed and closed since start."""
    for name, doc, read in [
        ("scheduler_leader", "1 while this process holds the lease.", loop.is_leading),
        ("scheduler_fired_runs", "Tasks created by this process's loop.", loop.fired_count),
        ("scheduler_missed_slots", "Slots recorded as missed.", loop.missed_count),
        ("scheduler_closed_runs", "Runs closed from their tasks.", loop.closed_count),
    ]:
        Gauge(name, doc, registry=service.registry).set_function(read)


def build_loop(
    settings: SchedulerSettings, deps: Deps, leadership: Leadership | None = None
) -> FiringLoop:
    """The firing loop, not started; `leadership` overrides this process's lease holder."""
    firer = Firer(deps.objectives, deps.tasks, settings.scheduler_catchup_seconds)
    policy = FailurePolicy(
        settings.objective_max_consecutive_failures,
        settings.objective_failure_backoff_seconds,
        settings.objective_failure_backoff_max_seconds,
    )
    reconciler = Reconciler(deps.objectives, deps.tasks, policy)
    lead = leadership or Leadership(deps.leases, settings.scheduler_lease_ttl_seconds)
    return FiringLoop(
        deps.objectives, firer, reconciler, lead, deps.clock, settings.scheduler_tick_seconds
    )


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
        _gauges(service, loop)
        service.on_stop.append(loop.stop)
    return service
