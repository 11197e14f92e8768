"""The action plugins this process runs, from its settings."""

from __future__ import annotations

from orchestrator_svc.actions.plugins import Plugin, Registry
from orchestrator_svc.actions.sandbox import Sandbox, SandboxConfig, allow_list
from orchestrator_svc.actions.smtp import Smtp, SmtpConfig
from orchestrator_svc.actions.webhook import Allowed, Webhook
from orchestrator_svc.config import OrchestratorSettings


def plugins(settings: OrchestratorSettings) -> Registry:
    """webhook, smtp, then the sandbox when enabled (REFERENCE.md §3.4's order)."""
    found: list[Plugin] = [
        Webhook(
            Allowed(settings.webhook_allowed_hosts.split(",")), settings.webhook_timeout_seconds
        ),
        Smtp(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                sender=settings.smtp_from,
                require_tls=settings.smtp_require_tls,
                ca_file=settings.smtp_ca_file,
            )
        ),
    ]
    if settings.sandbox_enabled:
        config = SandboxConfig(
            workspace_root=settings.workspaces,
            allowed=allow_list(settings.sandbox_allowed_commands),
            timeout_s=settings.sandbox_timeout_seconds,
            max_output_bytes=settings.sandbox_max_output_bytes,
        )
        found.append(Sandbox(config))
    return Registry(found)
