"""The gateway's part of the chat logs (svckit.chatlog, REFERENCE.md §15.1): each message it
handles (inbound, the sender as actor) and the replies it makes itself (outbound: commands,
"still working"), then the context's rolling summary refreshed when due (svckit.chatmemory).
A turn's reply is logged where the turn runs (orchestrator_svc.agent_tasks), so one that
comes later is logged too. A log that cannot be written is reported, never a reason to fail
the message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from svckit import chatlog, chatmemory

log = logging.getLogger(__name__)


class ChatLogs:
    """Writes under `root/<workspace id>/` (AGENT_RUNTIME_WORKSPACE_ROOT)."""

    def __init__(self, root: Path, clock: Callable[[], float]) -> None:
        self._root, self._clock = root, clock

    async def inbound(
        self, workspace_id: str, connector: str, external_id: str, who: str, text: str, name: str
    ) -> None:
        await self._append(workspace_id, connector, external_id, "inbound", who, text, name)

    async def outbound(
        self, workspace_id: str, context_id: str, connector: str, external_id: str, text: str
    ) -> None:
        ws = self._root / workspace_id
        try:
            await asyncio.to_thread(
                chatmemory.reply, ws, context_id, connector, external_id, text, self._clock()
            )
        except OSError:
            log.exception("writing the chat log of %s/%s failed", connector, external_id)

    async def _append(
        self, workspace_id: str, connector: str, external_id: str, way: str, who: str,
        text: str, name: str = "",
    ) -> None:  # fmt: skip
        try:
            await asyncio.to_thread(
                chatlog.append, self._root / workspace_id, connector, external_id,
                direction=way, actor=who, text=text, unix=self._clock(), display_name=name,
            )  # fmt: skip
        except OSError:
            log.exception("writing the chat log of %s/%s failed", connector, external_id)
