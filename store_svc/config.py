"""Settings of the store process."""

from __future__ import annotations

from pydantic import Field

from svckit.config import ServiceSettings


class StoreSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of store_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7101, ge=0, le=65535)
    health_port: int = Field(7201, ge=0, le=65535)
    metrics_port: int = Field(7301, ge=0, le=65535)
    # SQLite file (the original's name); default <data dir>/meta.sqlite.
    db_path: str | None = None
    # PostgreSQL URL (postgresql://user:pass@host:port/db); wins over db_path when set.
    db_url: str | None = Field(None, pattern=r"^(postgres(ql)?(\+psycopg)?|sqlite)://", repr=False)
    # How long an SQLite statement waits for a database locked by another connection (a
    # migration, a second store process on the same file) before failing UNAVAILABLE.
    db_busy_timeout_ms: int = Field(30_000, ge=0, le=600_000)
    # PostgreSQL connection pool size.
    db_pool_size: int = Field(8, ge=1, le=200)
    # Retry backoff of failed tasks: base * 2^(attempt-1), capped, with jitter.
    task_retry_base_ms: int = Field(1000, ge=1)
    task_retry_cap_ms: int = Field(300_000, ge=1)
    # How often a long-polling claim looks again without a wake-up: for retries whose
    # backoff ends (new work wakes it at once, on PostgreSQL across replicas too).
    task_claim_recheck_ms: int = Field(250, ge=10, le=60_000)
    # Pending action approvals expire closed after this many seconds (SPEC.md "Fix").
    approval_ttl_seconds: int = Field(86_400, ge=1)
    # How often lapsed approvals are marked expired and their requesters told (every replica
    # sweeps; each approval expires once).
    approval_sweep_seconds: float = Field(30.0, gt=0, le=3600)
    # Pairing limits per connector user: pending at once (a new one expires the oldest),
    # and requests started per window (more is RESOURCE_EXHAUSTED).
    pairing_max_pending: int = Field(3, ge=1, le=100)
    pairing_starts_per_window: int = Field(5, ge=1, le=1000)
    pairing_window_seconds: int = Field(600, ge=1)
    # A message still being handled after this long (its handler crashed) is handled again
    # on redelivery, as is one whose handling failed.
    journal_retake_after_seconds: int = Field(300, ge=1)

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.db_path or self.data_dir / 'meta.sqlite'}"
