"""What a polling adapter keeps in the store: the position it acknowledged (the store's
CursorService, through `connectors_svc.clients.StoreCursors`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Fence:
    """The leader lease a writer holds (name, holder, fencing token), as the store gave it."""

    name: str
    holder: str
    token: int


class Cursors(Protocol):
    async def get(self, name: str) -> str:
        """The value last put; "" when never put."""
        ...

    async def put(
        self, name: str, value: str, fence: Fence | None = None, sequence: int | None = None
    ) -> None:
        """Sets the value. With `fence`, only while that lease is still the writer's; with
        `sequence` (a monotonic position), never below the stored one; else the store raises
        FailedPrecondition and nothing changes."""
        ...
