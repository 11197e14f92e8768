"""What the gateway is built from. Later issues add the store, orchestrator, qmd and
scheduler clients here, each typed as a small Protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class HealthProbe(Protocol):
    """Asks one backend for its gRPC Health status."""

    async def check(self) -> str:
        """The status name (SERVING, NOT_SERVING, …); raises on an RPC failure."""
        ...


@dataclass(frozen=True)
class Deps:
    """The gateway's collaborators."""

    version: str
    # Backend name (store, orchestrator, …) -> its Health probe, for the heartbeat.
    probes: Mapping[str, HealthProbe] = field(default_factory=dict)
    clock: Callable[[], float] = field(default=lambda: 0.0)
