"""What the orchestrator is built from. Later issues add the store, qmd and connectors
clients, the clock and the LLM client here, each typed as a small Protocol."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deps:
    """The orchestrator's collaborators (none yet)."""
