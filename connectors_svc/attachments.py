"""Markdown files sent in chats (REFERENCE.md §8.2 step 4, §8.3): a `.md`/`.markdown` file
(or one typed `text/markdown`, `text/x-markdown`) of at most 2 MiB is downloaded and saved
in the chat's workspace as `inbox/<connector>/<chat id>/<message id>-<sanitised name>`,
where qmd indexes it; other files are ignored. What was saved is told in the reply
(``Attachment saved: `<path>` ``, or `Saved N markdown attachments.`; `attachment too large`
for one over the limit). Saving the same message again writes the same file."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol

from connectors_svc.adapters.base import Attachment, InboundMessage
from connectors_svc.adapters.inbox import sanitise, write_file
from connectors_svc.adapters.mail_ports import ContextRef
from svckit.errors import Internal

log = logging.getLogger("connectors.attachments")
MAX_BYTES = 2 * 1024 * 1024
TOO_LARGE = "attachment too large"


class ContextStore(Protocol):
    async def ensure_context(
        self, connector: str, external_id: str, display_name: str
    ) -> ContextRef: ...


def file_name(name: str) -> str:
    """The base name, sanitised; `attachment.md` when nothing is left."""
    return sanitise(PureWindowsPath(PurePosixPath(name).name).name, "attachment.md")


class Attachments:
    def __init__(self, contexts: ContextStore, root: Path) -> None:
        self._contexts, self._root = contexts, root

    async def save(self, m: InboundMessage) -> str:
        """Saves the message's markdown files; the reply that tells so ("" for none). Raises
        when the chat's workspace is unknown (the store is down): received again later."""
        marked = [a for a in m.attachments if a.markdown]
        if not marked:
            return ""
        ctx = await self._contexts.ensure_context(m.connector, m.external_id, m.display_name)
        if not ctx.workspace_id or Path(ctx.workspace_id).name != ctx.workspace_id:
            raise Internal(f"unusable workspace id {ctx.workspace_id!r}")
        folder = PurePosixPath("inbox", m.connector, sanitise(m.external_id, "chat"))
        saved: list[str] = []
        notes: list[str] = []
        for a in marked:
            data = None if a.size > MAX_BYTES else await self._fetch(a)
            if a.size > MAX_BYTES or (data is not None and len(data) > MAX_BYTES):
                notes.append(TOO_LARGE)
                continue
            if data is None:
                continue  # the download failed (logged)
            rel = folder / f"{sanitise(m.message_id, 'message')}-{file_name(a.name)}"
            await asyncio.to_thread(write_file, self._root / ctx.workspace_id / rel, data)
            saved.append(str(rel))
        if len(saved) == 1:
            notes.insert(0, f"Attachment saved: `{saved[0]}`")
        elif saved:
            notes.insert(0, f"Saved {len(saved)} markdown attachments.")
        return "\n".join(dict.fromkeys(notes))

    async def _fetch(self, a: Attachment) -> bytes | None:
        try:
            return await a.fetch()
        except Exception as exc:  # as the original: logged, the message goes on
            log.warning("attachment %r not downloaded: %s", a.name, exc)
            return None
