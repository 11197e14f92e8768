"""Settings of the connectors process: the platforms' names as in the original (REFERENCE.md
§11), and the core's delivery, supervision and heartbeat tuning."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from svckit.config import ServiceSettings


class ConnectorsSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of connectors_svc; ports default to DESIGN.md §6. A platform
    whose credentials are missing is reported `disabled` with the reason; the others run."""

    grpc_port: int = Field(7106, ge=0, le=65535)
    health_port: int = Field(7206, ge=0, le=65535)
    metrics_port: int = Field(7306, ge=0, le=65535)

    # Telegram (Bot API): requests go to <api base>/bot<token>/<method>.
    telegram_token: SecretStr = SecretStr("")
    telegram_api_base: str = "https://api.telegram.org"
    telegram_poll_seconds: int = Field(25, ge=0, le=300)
    # How long a Bot API request may take to connect, write, or answer (getUpdates: past
    # its long-poll timeout).
    telegram_request_timeout_seconds: float = Field(10.0, gt=0)
    # Register the gateway's commands as the platforms' command menus.
    command_sync_enabled: bool = True
    # Discord (REST and gateway websocket).
    discord_token: SecretStr = SecretStr("")
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/?v=10&encoding=json"
    discord_application_id: str = ""
    discord_command_guild_ids: str = ""
    # E-mail: IMAP in, SMTP out.
    imap_host: str = ""
    imap_port: int = Field(993, ge=0, le=65535)
    imap_username: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_mailbox: str = "INBOX"
    imap_poll_seconds: int = Field(60, ge=1)
    imap_tls_skip_verify: bool = False
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=0, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    # E-mail, beyond the original's names: IMAP's CA bundle ("" = the system's); SMTP's
    # STARTTLS required (false: used when the server offers it, as the send_email action)
    # and its CA bundle (the same name as the orchestrator's).
    imap_ca_file: str = ""
    smtp_starttls: bool = False
    smtp_require_tls: bool = False  # the send_email action's name for the same; either counts
    smtp_ca_file: str = ""
    # Folder holding one sub-folder per workspace id, shared with qmd_svc and the
    # orchestrator (same name and default): ingested e-mails are filed there.
    workspace_root: Path | None = None
    # Codex, Cline and Gemini notices are posted to this URL (REFERENCE.md §4.8).
    codex_publish_url: str = ""
    codex_publish_bearer_token: SecretStr = SecretStr("")
    codex_publish_timeout_seconds: float = Field(8.0, gt=0)

    # Delivery from the outbox: a claimed delivery is this replica's for the lease; a retry
    # (nothing reached the recipient) waits base * 2^(attempt-1), capped, with jitter, and a
    # delivery still undelivered after max attempts is failed.
    delivery_lease_seconds: float = Field(30.0, ge=1.0)
    delivery_retry_base_seconds: float = Field(1.0, gt=0)
    delivery_retry_cap_seconds: float = Field(300.0, gt=0)
    delivery_max_attempts: int = Field(8, ge=1)
    delivery_poll_wait_seconds: float = Field(10.0, gt=0, le=30.0)
    # Supervision: a crashed adapter restarts after base * 2^(n-1) seconds (capped, jittered);
    # after `breaker_failures` crashes in a row the breaker opens for `breaker_open_seconds`.
    adapter_restart_base_seconds: float = Field(1.0, gt=0)
    adapter_restart_cap_seconds: float = Field(60.0, gt=0)
    adapter_breaker_failures: int = Field(5, ge=1)
    adapter_breaker_open_seconds: float = Field(300.0, gt=0)
    # A run that lasted this long resets the crash count.
    adapter_healthy_after_seconds: float = Field(30.0, gt=0)
    # Leader lease of each receiving adapter (two replicas never poll the same bot).
    connector_lease_ttl_seconds: float = Field(15.0, ge=1.0)
    # How long a HandleMessage call may take (the gateway waits up to 120 s for a turn).
    gateway_handle_timeout_seconds: float = Field(130.0, gt=0)
    # How often the connectors' heartbeat components are written to the store.
    heartbeat_interval_seconds: float = Field(10.0, gt=0)

    @property
    def workspaces(self) -> Path:
        return self.workspace_root or self.data_dir / "workspaces"
