"""Settings shared by every service process: where data and the PKI live, which ports to
bind, where the peers are. Each service subclasses `ServiceSettings` in its own config.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from svckit.pki import PkiPaths

PREFIX = "AGENT_RUNTIME_"
Port = Field(ge=0, le=65535)


class ServiceSettings(BaseSettings):
    """Read once at start-up from `AGENT_RUNTIME_*` variables and passed down."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    pki_dir: Path | None = None
    bind_host: str = "127.0.0.1"
    grpc_port: int = Field(0, ge=0, le=65535)
    health_port: int = Field(0, ge=0, le=65535)
    metrics_port: int = Field(0, ge=0, le=65535)
    store_addr: str = "127.0.0.1:7101"
    orchestrator_addr: str = "127.0.0.1:7102"
    gateway_addr: str = "127.0.0.1:7103"
    scheduler_addr: str = "127.0.0.1:7104"
    qmd_addr: str = "127.0.0.1:7105"
    connectors_addr: str = "127.0.0.1:7106"
    rpc_timeout_seconds: float = Field(10.0, gt=0)
    log_level: str = Field("INFO", pattern=r"^(?i)(debug|info|warning|error)$")

    @property
    def pki(self) -> PkiPaths:
        return PkiPaths(self.pki_dir or self.data_dir / "pki")


S = TypeVar("S", bound=BaseSettings)


def describe_error(exc: ValidationError, prefix: str = PREFIX) -> str:
    """One line per bad value, naming the environment variable."""
    lines = []
    for err in exc.errors():
        field = "_".join(str(p) for p in err["loc"]).upper()
        lines.append(f"invalid setting {prefix}{field}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def load_settings(cls: type[S]) -> S:
    """Build the settings or stop the process with a message naming the variable."""
    try:
        return cls()
    except ValidationError as exc:
        print(describe_error(exc), file=sys.stderr)
        raise SystemExit(2) from None
