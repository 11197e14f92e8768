"""Settings of the scheduler process."""

from __future__ import annotations

from pydantic import Field

from svckit.config import ServiceSettings


class SchedulerSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of scheduler_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7104, ge=0, le=65535)
    health_port: int = Field(7204, ge=0, le=65535)
    metrics_port: int = Field(7304, ge=0, le=65535)
