"""Settings of the gateway process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from svckit.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of gateway_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7103, ge=0, le=65535)
    health_port: int = Field(7203, ge=0, le=65535)
    metrics_port: int = Field(7303, ge=0, le=65535)
    # The HTTPS listener of /api/v1, served by this process (gateway_svc.rest).
    rest_port: int = Field(8443, ge=0, le=65535)
    # Bearer token accepted on /api/v1 besides admin client certificates; unset: certificates
    # only. Kept out of repr so it never reaches a log line.
    admin_token: str | None = Field(None, repr=False, min_length=16)
    rest_max_body_bytes: int = Field(1 << 20, ge=1024)
    # The REST listener's limits: open connections beyond the cap are closed at once (before
    # TLS); a TLS handshake has this long; a request head (on a new connection or between
    # requests) and a request body each have the idle timeout.
    rest_max_connections: int = Field(1000, ge=1)
    rest_handshake_timeout_seconds: float = Field(10.0, gt=0)
    rest_idle_timeout_seconds: float = Field(15.0, gt=0)
    # Reported by /api/v1/info, as the original (AGENT_RUNTIME_ENV, …_PUBLIC_HOST, …_ADMIN_HOST).
    env: str = "development"
    public_host: str = "localhost"
    admin_host: str = "admin.localhost"
    # How long the heartbeat waits for each backend's Health check.
    heartbeat_probe_timeout_seconds: float = Field(2.0, gt=0)
    # How long a conversation message waits for the agent's reply before answering that it is
    # still working (the reply follows through the outbox).
    turn_wait_seconds: float = Field(30.0, ge=0, le=120)
    # How long `/approve-action` waits for the approved action to finish, so the reply can
    # carry its outcome (after that the outcome is posted to the requesting chat).
    approval_wait_seconds: float = Field(10.0, ge=0, le=120)
    # The workspaces folder (shared with the orchestrator and qmd): chat logs go to
    # <root>/<workspace>/logs/chats/, context summaries to <root>/<workspace>/memory/contexts/.
    workspace_root: Path | None = None

    @property
    def workspaces(self) -> Path:
        return self.workspace_root or self.data_dir / "workspaces"
