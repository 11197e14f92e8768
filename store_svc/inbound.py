"""Beginning inbound messages: journal each (`Journal.record`: a redelivery finds the first
entry and resolves nothing) and, for a new one, resolve what handling it needs — the chat's
context (made with its workspace on the chat's first message) and the sender's verified
identity with its role in that workspace. The gateway pays one round trip where it paid four
(RecordInbound, FindContext or EnsureContext, LookupIdentity, GetWorkspaceRole), and a batch
of messages costs the database one write and one read in all (a write more when a chat is
new). Every answer is read for the message at hand: nothing is cached, so a role changed a
moment ago is the role the next message gets (a batch's messages from one chat or one
sender share what its transaction read)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.identities import verified_identity
from store_svc.journal import Journal
from store_svc.keys import Keys
from store_svc.workspace_roles import effective_role
from store_svc.workspaces import find_context, find_or_ensure
from svckit.batches import check_batch
from svckit.errors import DomainError

T = TypeVar("T")
# (RecordInbound's fields, the chat's display name, whether to resolve the sender)
Item = tuple[Mapping[str, str], str, bool]
# a sender's identity (or None) and role, by (connector, sender, workspace id): what one
# transaction has read already, so a batch's messages from one sender read it once
Senders = dict[tuple[str, str, str], tuple[Row | None, str]]


@dataclass(frozen=True)
class Begun:
    """The journal entry; for a new message also its context and the sender (identity row
    and its role in the context's workspace, or None and "")."""

    entry: Row
    duplicate: bool
    context: Row | None = None
    identity: Row | None = None
    role: str = ""


@dataclass(frozen=True)
class _Chat:
    connector: str  # lower-cased
    chat: str
    display: str
    sender: str  # "" when the sender is not to be resolved

    @staticmethod
    def of(item: Item) -> _Chat:
        req, display, resolve = item
        connector = required("connector", req["connector"]).lower()
        chat = required("chat_id", req["chat_id"])
        sender = req.get("sender_id", "").strip() if resolve else ""
        return _Chat(connector, chat, display.strip() or f"{connector} {chat}", sender)

    def resolve(self, c: Conn, entry: Row, context: Row, senders: Senders) -> Begun:
        if not self.sender:
            return Begun(entry, False, context)
        key = (self.connector, self.sender, str(context["workspace_id"]))
        if key not in senders:
            ident = verified_identity(c, self.connector, self.sender)
            role = effective_role(c, str(ident["user_id"]), key[2])[0] if ident else ""
            senders[key] = (ident, role)
        ident, role = senders[key]
        if ident is None:
            return Begun(entry, False, context)
        return Begun(entry, False, context, ident, role)


class Inbound:
    def __init__(self, journal: Journal, db: Database, clock: Clock, keys: Keys) -> None:
        self._journal, self._db, self._clock, self._keys = journal, db, clock, keys

    async def begin(self, req: Mapping[str, str], display_name: str, resolve_sender: bool) -> Begun:
        """Journal `req` (RecordInbound's fields); resolve its chat, and with
        `resolve_sender` its sender, unless it is a duplicate."""
        (result,) = await self.begin_many([(req, display_name, resolve_sender)])
        if isinstance(result, DomainError):
            raise result
        return result

    async def begin_many(self, items: Sequence[Item]) -> list[Begun | DomainError]:
        """`begin` for each item, each on its own: the begun message or the error refusing
        it, in order."""
        check_batch(len(items), "messages")
        out: list[Begun | DomainError | None] = [None] * len(items)
        todo: dict[int, tuple[Callable[[Conn], tuple[Row, bool]], _Chat]] = {}
        for i, item in enumerate(items):
            try:
                todo[i] = (self._journal.record_unit(item[0]), _Chat.of(item))
            except DomainError as exc:
                out[i] = exc
        if not todo:
            return _filled(out)
        recorded = await self._db.write(lambda c: {i: unit(c) for i, (unit, _) in todo.items()})
        fresh: dict[int, tuple[Row, _Chat]] = {}
        for i, (entry, duplicate) in recorded.items():
            if duplicate:
                out[i] = Begun(entry, True)
            else:
                fresh[i] = (entry, todo[i][1])

        def known(c: Conn) -> dict[int, Begun]:
            contexts: dict[tuple[str, str], Row | None] = {}  # a chat's messages read it once
            senders: Senders = {}
            found: dict[int, Begun] = {}
            for i, (entry, chat) in fresh.items():
                where = (chat.connector, chat.chat)
                if where not in contexts:
                    contexts[where] = find_context(c, *where)
                ctx = contexts[where]
                if ctx is not None:
                    found[i] = chat.resolve(c, entry, ctx, senders)
            return found

        def new(c: Conn, which: list[int]) -> dict[int, Begun]:
            now, made = self._clock.now_ms() // 1000, {}
            senders: Senders = {}
            for i in which:
                entry, chat = fresh[i]
                ctx = find_or_ensure(c, self._keys, chat.connector, chat.chat, chat.display, now)
                made[i] = chat.resolve(c, entry, ctx, senders)
            return made

        # Known chats, the common case, are one read; a chat's first message makes it.
        begun = await self._db.read(known) if fresh else {}
        missing = [i for i in fresh if i not in begun]
        if missing:
            begun.update(await self._db.write(lambda c: new(c, missing)))
        for i, b in begun.items():
            out[i] = b
        return _filled(out)

    async def complete_many(self, items: Sequence[tuple[str, str, str]]) -> list[Row | DomainError]:
        """`Journal.complete` for each (entry id, status, outcome), each on its own, in one
        write. A unit's only refusal inside the transaction (NOT_FOUND) comes from a unit that
        changed nothing, so the others' outcomes stand."""
        check_batch(len(items), "entries")
        out: list[Row | DomainError | None] = [None] * len(items)
        todo: dict[int, Callable[[Conn], Row]] = {}
        for i, (entry_id, status, outcome) in enumerate(items):
            try:
                todo[i] = self._journal.complete_unit(entry_id, status, outcome)
            except DomainError as exc:
                out[i] = exc

        def run(c: Conn) -> dict[int, Row | DomainError]:
            done: dict[int, Row | DomainError] = {}
            for i, unit in todo.items():
                try:
                    done[i] = unit(c)
                except DomainError as exc:
                    done[i] = exc
            return done

        for i, result in (await self._db.write(run) if todo else {}).items():
            out[i] = result
        return _filled(out)


def _filled(results: list[T | None]) -> list[T]:
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
