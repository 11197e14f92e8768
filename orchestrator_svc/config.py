"""Settings of the orchestrator process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from orchestrator_svc.actions.sandbox import DEFAULT_ALLOWED
from svckit.config import ServiceSettings
from svckit.llm import factory as llm


class OrchestratorSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of orchestrator_svc; ports default to DESIGN.md §6."""

    # How often this process reports its `runtime` heartbeat component to the store.
    heartbeat_interval_seconds: float = Field(10.0, gt=0)

    grpc_port: int = Field(7102, ge=0, le=65535)
    health_port: int = Field(7202, ge=0, le=65535)
    metrics_port: int = Field(7302, ge=0, le=65535)
    # How often a WatchTasks stream asks the store for changes made by other replicas.
    watch_poll_ms: int = Field(500, ge=20, le=60_000)
    # Workers of this process (the original's name); 0 runs no tasks (an API-only replica).
    default_concurrency: int = Field(5, ge=0, le=256)
    # Folder holding one sub-folder per workspace id, shared with qmd_svc (same name and
    # default as qmd_svc's setting).
    workspace_root: Path | None = None
    # Lease of a claimed task; a worker heartbeats every third of it.
    task_lease_ms: int = Field(30_000, ge=300, le=3_600_000)
    # How long an idle worker's claim waits in the store for new work (long poll).
    task_claim_wait_ms: int = Field(10_000, ge=0, le=30_000)
    # On SIGTERM, running tasks get this long to finish before their leases are released.
    worker_drain_seconds: float = Field(10.0, ge=0, le=600)

    # Approved actions (REFERENCE.md §11 names). SMTP: the `send_email` plugin.
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=0, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    # Refuse to send when the server does not offer STARTTLS (else it is used when offered).
    smtp_require_tls: bool = False
    # CA bundle that verifies the SMTP server's certificate (a private relay); "" = system's.
    smtp_ca_file: str = ""
    # The `run_command` plugin: registered only when enabled; comma-separated allow list.
    sandbox_enabled: bool = True
    sandbox_allowed_commands: str = DEFAULT_ALLOWED
    sandbox_timeout_seconds: float = Field(20.0, gt=0, le=3600)
    sandbox_max_output_bytes: int = Field(512_000, ge=256, le=16_000_000)
    # The webhook plugin: hosts, addresses or networks (CIDR) it may reach although they
    # are loopback, private or link-local; comma-separated.
    webhook_allowed_hosts: str = ""
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=600)

    # The agent's model (the original's names): provider `openai` (any OpenAI-compatible
    # server at llm_base_url: Ollama, vLLM, llama.cpp) or `anthropic`; unset answers from
    # workspace retrieval alone and says no model is configured.
    llm_provider: str = ""
    llm_model: str = ""
    # Empty: the provider's own API. A loopback URL needs no key.
    llm_base_url: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_seconds: float = Field(60.0, gt=0, le=600)
    # False for models without native tool calling: the JSON-in-text protocol instead.
    llm_native_tools: bool = True
    # The reasoning prompt file (the original's name); "%s" in it places the tool catalogue.
    reasoning_prompt_file: Path | None = None
    # Policy limits of one agent turn (REFERENCE.md §2.3).
    agent_max_loop_steps: int = Field(6, ge=1, le=50)
    agent_max_tool_calls: int = Field(6, ge=1, le=50)
    agent_max_turn_duration_seconds: float = Field(120.0, gt=0, le=3600)
    agent_max_input_chars: int = Field(12_000, ge=100, le=1_000_000)
    # Tasks the agent may create per context (create_task), counted from the store.
    agent_max_autonomous_tasks_per_hour: int = Field(5, ge=0, le=10_000)
    agent_max_autonomous_tasks_per_day: int = Field(25, ge=0, le=100_000)

    @field_validator("llm_provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in ("", "none", "claude", *llm.PROVIDERS):
            raise ValueError(f"must be one of {', '.join(llm.PROVIDERS)} (or unset)")
        return name

    @field_validator("llm_api_key")
    @classmethod
    def _key_when_remote(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        provider = str(info.data.get("llm_provider", ""))
        if provider in ("", "none") or value.get_secret_value():
            return value
        base = (
            str(info.data.get("llm_base_url", ""))
            or llm.DEFAULTS["anthropic" if provider == "claude" else provider][0]
        )
        if not llm.is_loopback(base):
            raise ValueError(f"is required for {base} (only a loopback server needs no key)")
        return value

    @property
    def workspaces(self) -> Path:
        return self.workspace_root or self.data_dir / "workspaces"
