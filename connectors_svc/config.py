"""Settings of the connectors process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from svckit.config import ServiceSettings


class ConnectorsSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of connectors_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7106, ge=0, le=65535)
    health_port: int = Field(7206, ge=0, le=65535)
    metrics_port: int = Field(7306, ge=0, le=65535)

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
    smtp_ca_file: str = ""
    # Folder holding one sub-folder per workspace id, shared with qmd_svc and the
    # orchestrator (same name and default): ingested e-mails are filed there.
    workspace_root: Path | None = None

    @property
    def workspaces(self) -> Path:
        return self.workspace_root or self.data_dir / "workspaces"
