"""Settings of the connectors process."""

from __future__ import annotations

from pydantic import Field

from svckit.config import ServiceSettings


class ConnectorsSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of connectors_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7106, ge=0, le=65535)
    health_port: int = Field(7206, ge=0, le=65535)
    metrics_port: int = Field(7306, ge=0, le=65535)
