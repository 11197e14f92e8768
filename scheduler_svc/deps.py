"""What the scheduler is built from. Later issues add the store and orchestrator clients and
the clock here, each typed as a small Protocol."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deps:
    """The scheduler's collaborators (none yet)."""
