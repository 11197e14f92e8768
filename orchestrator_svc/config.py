"""Settings of the orchestrator process."""

from __future__ import annotations

from pydantic import Field

from svckit.config import ServiceSettings


class OrchestratorSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of orchestrator_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7102, ge=0, le=65535)
    health_port: int = Field(7202, ge=0, le=65535)
    metrics_port: int = Field(7302, ge=0, le=65535)
    # How often a WatchTasks stream asks the store for changes made by other replicas.
    watch_poll_ms: int = Field(500, ge=20, le=60_000)
