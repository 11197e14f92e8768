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
from svckit.coalesce import Coalescer
from svckit.errors import DomainError

log = logging.getLogger(__name__)


Entries = list[tuple[str, str, str]]  # direction, actor, text
# one write asked for: workspace folder, connector, external id, entries, display name, time
Write = tuple[Path, str, str, Entries, str, float]


def _write_all(batch: list[Write]) -> None:
    """The writes of a batch, in order, one locked append per chat (a thread's work)."""
    chats: dict[tuple[Path, str, str], tuple[list[tuple[str, str, str, float]], str]] = {}
    for folder, connector, external_id, entries, name, unix in batch:
        known = chats.setdefault((folder, connector, external_id), ([], name))
        known[0].extend((way, who, text, unix) for way, who, text in entries)
    for (folder, connector, external_id), (timed, name) in chats.items():
        try:
            chatlog.append_entries(folder, connector, external_id, timed, name)
        except OSError:  # one chat's log failing keeps neither the others nor the reply
            log.exception("writing the chat log of %s/%s failed", connector, external_id)


class ChatLogs:
    """Writes under `root/<workspace id>/` (AGENT_RUNTIME_WORKSPACE_ROOT). The writes asked
    for while one batch is being written go together in the next: under load a thread hop
    and one locked append per chat carry many messages."""

    def __init__(self, root: Path, clock: Callable[[], float]) -> None:
        self._root, self._clock = root, clock
        self._writes: Coalescer[Write, None] = Coalescer(self._write_batch, max_in_flight=1)

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
        self, workspace_id: str, connector: str, external_id: str, entries: Entries,
        name: str = "",
    ) -> None:  # fmt: skip
        folder = self._root / workspace_id
        await self._writes.submit((folder, connector, external_id, entries, name, self._clock()))

    @staticmethod
    async def _write_batch(batch: list[Write]) -> list[DomainError | None]:
        await asyncio.to_thread(_write_all, batch)
        return [None] * len(batch)
