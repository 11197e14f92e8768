"""What a polling adapter keeps in the store: the position it acknowledged (the store's
CursorService, through `connectors_svc.clients.StoreCursors`)."""

from __future__ import annotations

from typing import Protocol


class Cursors(Protocol):
    async def get(self, name: str) -> str:
        """The value last put; "" when never put."""
        ...

    async def put(self, name: str, value: str) -> None:
        """Sets the value."""
        ...
