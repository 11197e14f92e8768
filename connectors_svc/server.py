"""Builds the connectors service; starts nothing (the runtime starts in `on_start`)."""

from __future__ import annotations

from agent_runtime.connectors.v1 import service_pb2, service_pb2_grpc
from connectors_svc.authz import ALLOW
from connectors_svc.backoff import Backoff
from connectors_svc.config import ConnectorsSettings
from connectors_svc.courier import CourierPolicy
from connectors_svc.deps import Deps
from connectors_svc.runtime import Runtime, Tuning
from connectors_svc.service import ConnectorsServicer
from connectors_svc.supervisor import SupervisorPolicy
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["ConnectorsService"].full_name


def tuning(s: ConnectorsSettings) -> Tuning:
    return Tuning(
        courier=CourierPolicy(
            lease_ms=int(s.delivery_lease_seconds * 1000),
            retry=Backoff(s.delivery_retry_base_seconds, s.delivery_retry_cap_seconds),
            max_attempts=s.delivery_max_attempts,
        ),
        supervisor=SupervisorPolicy(
            restart=Backoff(s.adapter_restart_base_seconds, s.adapter_restart_cap_seconds),
            breaker_failures=s.adapter_breaker_failures,
            breaker_open_s=s.adapter_breaker_open_seconds,
            healthy_after_s=s.adapter_healthy_after_seconds,
            follow_s=min(2.0, s.connector_lease_ttl_seconds / 3),
        ),
        poll_wait_ms=int(s.delivery_poll_wait_seconds * 1000),
        lease_ttl_s=s.connector_lease_ttl_seconds,
        heartbeat_s=s.heartbeat_interval_seconds,
    )


def build_server(settings: ConnectorsSettings, deps: Deps) -> Service:
    """The connectors gRPC service with its allow list, ready for `start()`."""
    runtime = Runtime(deps, tuning(settings))
    servicer = ConnectorsServicer(runtime)
    add = service_pb2_grpc.add_ConnectorsServiceServicer_to_server
    service = Service(
        "connectors", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW
    )
    service.on_start.append(runtime.start)
    service.on_stop.append(runtime.stop)  # runs before the hooks __main__ put first
    return service
