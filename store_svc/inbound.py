"""Beginning an inbound message: journal it (`Journal.record`: a redelivery finds the first
entry and resolves nothing) and, for a new message, resolve what handling it needs — the
chat's context (made with its workspace on the chat's first message) and the sender's
verified identity with its role in that workspace — in one read. The gateway pays one round
trip where it paid four (RecordInbound, FindContext or EnsureContext, LookupIdentity,
GetWorkspaceRole). Every answer is read from the database for this message, so nothing is
cached anywhere: a role changed a moment ago is the role this message gets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.identities import verified_identity
from store_svc.journal import Journal
from store_svc.keys import Keys
from store_svc.workspace_roles import effective_role
from store_svc.workspaces import find_context, find_or_ensure
from svckit.errors import DomainError, InvalidArgument

T = TypeVar("T")
MAX_BATCH = 100


@dataclass(frozen=True)
class Begun:
    """The journal entry; for a new message also its context and the sender (identity row
    and its role in the context's workspace, or None and "")."""

    entry: Row
    duplicate: bool
    context: Row | None = None
    identity: Row | None = None
    role: str = ""


class Inbound:
    def __init__(self, journal: Journal, db: Database, clock: Clock, keys: Keys) -> None:
        self._journal, self._db, self._clock, self._keys = journal, db, clock, keys

    async def begin(self, req: Mapping[str, str], display_name: str, resolve_sender: bool) -> Begun:
        """Journal `req` (RecordInbound's fields); resolve its chat, and with
        `resolve_sender` its sender, unless it is a duplicate."""
        connector = required("connector", req["connector"]).lower()
        chat = required("chat_id", req["chat_id"])
        entry, duplicate = await self._journal.record(req)
        if duplicate:
            return Begun(entry, True)
        sender = req.get("sender_id", "").strip() if resolve_sender else ""

        def resolve(c: Conn, context: Row) -> Begun:
            ident = verified_identity(c, connector, sender) if sender else None
            if ident is None:
                return Begun(entry, False, context)
            role, _ = effective_role(c, str(ident["user_id"]), str(context["workspace_id"]))
            return Begun(entry, False, context, ident, role)

        def known_chat(c: Conn) -> Begun | None:
            context = find_context(c, connector, chat)
            return None if context is None else resolve(c, context)

        def new_chat(c: Conn) -> Begun:
            display = display_name.strip() or f"{connector} {chat}"
            now = self._clock.now_ms() // 1000
            return resolve(c, find_or_ensure(c, self._keys, connector, chat, display, now))

        # The known chat, the common case, is one read; its first message makes it.
        found: Begun | None = await self._db.read(known_chat)
        return found if found is not None else await self._db.write(new_chat)

    async def begin_many(
        self, items: Sequence[tuple[Mapping[str, str], str, bool]]
    ) -> list[Begun | DomainError]:
        """`begin` for each (request, display name, resolve sender), each on its own: the
        begun message or the error refusing it, in order. Their journal writes share the
        database's group commit."""
        _check_batch(len(items), "messages")
        return await _each([self.begin(*item) for item in items])

    async def complete_many(self, items: Sequence[tuple[str, str, str]]) -> list[Row | DomainError]:
        """`Journal.complete` for each (entry id, status, outcome), each on its own."""
        _check_batch(len(items), "entries")
        return await _each([self._journal.complete(*item) for item in items])


def _check_batch(size: int, field: str) -> None:
    if not size:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if size > MAX_BATCH:
        raise InvalidArgument(f"at most {MAX_BATCH} {field} per call", field=field)


async def _each(calls: list[Awaitable[T]]) -> list[T | DomainError]:
    """Every call's result or its domain error; any other error fails the whole batch."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, DomainError):
            raise r
    return [r for r in results if not isinstance(r, BaseException) or isinstance(r, DomainError)]
