"""The gateway's part of the chat logs (svckit.chatlog, REFERENCE.md §15.1): each message it
handles (inbound, the sender as actor) and the replies it makes itself (outbound: commands,
"still working"). A turn's reply is logged where the turn runs (orchestrator_svc.agent_tasks),
so one that comes later is logged too, and the context's rolling summary (svckit.chatmemory)
is refreshed there, when due: the summary grounds agent turns, so keeping it current is the
turns' business, and a command's reply costs one append. A log that cannot be written is
reported, never a reason to fail the message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from svckit import chatlog

log = logging.getLogger(__name__)


class ChatLogs:
    """Writes under `root/<workspace id>/` (AGENT_RUNTIME_WORKSPACE_ROOT)."""

    def __init__(self, root: Path, clock: Callable[[], float]) -> None:
        self._root, self._clock = root, clock

    async def inbound(
        self, workspace_id: str, connector: str, external_id: str, who: str, text: str, name: str
    ) -> None:
        await self._write(workspace_id, connector, external_id, [("inbound", who, text)], name)

    async def outbound(
        self, workspace_id: str, connector: str, external_id: str, text: str
    ) -> None:
        await self._write(workspace_id, connector, external_id, [("outbound", chatlog.AGENT, text)])

    async def exchange(
        self, workspace_id: str, connector: str, external_id: str, who: str, text: str,
        name: str, reply: str,
    ) -> None:  # fmt: skip
        """A message and the reply the gateway made to it, in one write."""
        entries = [("inbound", who, text), ("outbound", chatlog.AGENT, reply)]
        await self._write(workspace_id, connector, external_id, entries, name)

    async def _write(
        self, workspace_id: str, connector: str, external_id: str,
        entries: list[tuple[str, str, str]], name: str = "",
    ) -> None:  # fmt: skip
        try:
            await asyncio.to_thread(
                chatlog.append_entries, self._root / workspace_id, connector, external_id,
                entries, self._clock(), name,
            )  # fmt: skip
        except OSError:
            log.exception("writing the chat log of %s/%s failed", connector, external_id)
