"""Settings of the scheduler process."""

from __future__ import annotations

from pydantic import Field

from svckit.config import ServiceSettings


class SchedulerSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of scheduler_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7104, ge=0, le=65535)
    health_port: int = Field(7204, ge=0, le=65535)
    metrics_port: int = Field(7304, ge=0, le=65535)
    # Missed slots younger than this run once after downtime (older ones are recorded as
    # missed) for objectives whose own catch-up window is 0; 0 records them all as missed.
    scheduler_catchup_seconds: int = Field(3600, ge=0)
    # The leader lease: only its holder fires; renewed every third of it.
    scheduler_lease_ttl_seconds: float = Field(15.0, ge=1.0)
    # Longest sleep between two looks for due objectives.
    scheduler_tick_seconds: float = Field(1.0, gt=0.0, le=60.0)
    # False serves the API without firing anything (a replica that never leads).
    scheduler_firing: bool = True
    # Failure policy of objectives that set none of their own: auto-pause after this many
    # failed runs in a row; the next run waits backoff x 2^(n-1), capped.
    objective_max_consecutive_failures: int = Field(5, ge=1)
    objective_failure_backoff_seconds: int = Field(60, ge=0)
    objective_failure_backoff_max_seconds: int = Field(1800, ge=0)
    # How often the leader reports its `scheduler` heartbeat component to the store.
    heartbeat_interval_seconds: float = Field(10.0, gt=0)
