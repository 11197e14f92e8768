"""qmd_svc settings (`AGENT_RUNTIME_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from qmd_svc.paths import DEFAULT_EVENT_EXCLUDES, DEFAULT_INDEX_EXCLUDES
from svckit.config import ServiceSettings


class QmdSettings(ServiceSettings):
    grpc_port: int = Field(7105, ge=0, le=65535)
    health_port: int = Field(7205, ge=0, le=65535)
    metrics_port: int = Field(7305, ge=0, le=65535)
    # Folder holding one sub-folder per workspace id (default <data_dir>/workspaces).
    workspace_root: Path | None = None
    # Globs (workspace-relative, `dir/**` = a folder and everything in it) never indexed.
    qmd_exclude_globs: list[str] = Field(default_factory=lambda: list(DEFAULT_INDEX_EXCLUDES))
    # Globs of changed paths that are not announced to the scheduler as markdown.updated.
    qmd_event_exclude_globs: list[str] = Field(default_factory=lambda: list(DEFAULT_EVENT_EXCLUDES))
    qmd_search_limit: int = Field(5, ge=1, le=100)
    qmd_watch: bool = True
    # How long the watcher groups bursts of changes at most, in milliseconds.
    qmd_watch_debounce_ms: int = Field(300, ge=10, le=10_000)
    qmd_reader_threads: int = Field(4, ge=1, le=64)
    # Report markdown.updated to scheduler_svc (off: only log the events).
    qmd_notify_scheduler: bool = True

    @property
    def workspaces(self) -> Path:
        return self.workspace_root or self.data_dir / "workspaces"
