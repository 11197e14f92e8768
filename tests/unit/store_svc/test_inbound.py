"""BeginInbound's domain on both backends: one call journals a message and resolves its
chat's context and its sender's identity and role, read fresh for every message."""

from __future__ import annotations

import pytest

from store_svc.common import SystemClock
from store_svc.db import Database
from store_svc.identities import Identities
from store_svc.inbound import Begun, Inbound
from store_svc.journal import Journal
from store_svc.keys import Keys
from store_svc.workspace_roles import WorkspaceRoles
from store_svc.workspaces import Workspaces
from svckit.errors import DomainError, InvalidArgument, NotFound


def _inbound(db: Database) -> tuple[Inbound, SystemClock, Keys]:
    clock = SystemClock()
    keys = Keys(clock)
    return Inbound(Journal(db, clock, keys), db, clock, keys), clock, keys


def _msg(mid: str, sender: str = "u1", chat: str = "chat 1") -> dict[str, str]:
    return {"connector": "Telegram", "chat_id": chat, "platform_message_id": mid,
            "sender_id": sender, "text": "/status"}  # fmt: skip


async def test_new_chat_gets_its_context_once_and_a_redelivery_resolves_nothing(
    db: Database,
) -> None:
    inbound, clock, keys = _inbound(db)
    first = await inbound.begin(_msg("m1"), "Team chat", resolve_sender=True)
    assert not first.duplicate and first.entry["status"] == "received"
    assert first.context is not None and first.identity is None and first.role == ""
    ws = await Workspaces(db, clock, keys).get(first.context["workspace_id"])
    assert ws["slug"] == "community-telegram-chat-1" and ws["name"] == "Telegram: Team chat"
    second = await inbound.begin(_msg("m2"), "", resolve_sender=True)
    assert second.context is not None and second.context["id"] == first.context["id"]
    again = await inbound.begin(_msg("m1"), "Team chat", resolve_sender=True)
    assert again.duplicate and again.entry["id"] == first.entry["id"]
    assert again.context is None and again.identity is None
    rows = await db.read(lambda c: c.all("SELECT id FROM inbound_journal"))
    assert len(rows) == 2


async def test_sender_identity_and_workspace_role_are_read_for_each_message(
    db: Database,
) -> None:
    inbound, clock, keys = _inbound(db)
    identities, roles = Identities(db, clock, keys), WorkspaceRoles(db, clock, keys)
    user, ident = await identities.create_user("Ada", "member", "", "telegram", "u1", "admin:a")
    assert ident is not None
    first = await inbound.begin(_msg("m1"), "", resolve_sender=True)
    assert first.identity is not None and first.identity["user_id"] == user["id"]
    assert first.role == "member"
    assert first.context is not None
    await roles.set(user["id"], first.context["workspace_id"], "admin", "admin:a")
    assert (await inbound.begin(_msg("m2"), "", resolve_sender=True)).role == "admin"
    other = await inbound.begin(_msg("m3", chat="chat 2"), "", resolve_sender=True)
    assert other.role == "member"  # the admin role is that workspace's only
    unasked = await inbound.begin(_msg("m4"), "", resolve_sender=False)
    assert unasked.identity is None and unasked.role == ""
    await identities.revoke(ident["id"], "admin:a")
    gone = await inbound.begin(_msg("m5"), "", resolve_sender=True)
    assert gone.identity is None and gone.role == ""
    stranger = await inbound.begin(_msg("m6", sender="u2"), "", resolve_sender=True)
    assert stranger.identity is None


async def test_a_batch_begins_and_completes_each_message_on_its_own(db: Database) -> None:
    inbound, clock, keys = _inbound(db)
    bad = {**_msg("m2"), "chat_id": ""}
    begun = await inbound.begin_many(
        [(_msg("m1"), "", True), (bad, "", True), (_msg("m1"), "", True), (_msg("m3"), "", True)]
    )
    assert isinstance(begun[1], InvalidArgument) and begun[1].field == "chat_id"
    ok = [b for b in begun if isinstance(b, Begun)]
    assert len(ok) == 3 and sorted(b.duplicate for b in ok) == [False, False, True]
    first, third = ok[0], ok[2]
    done = await inbound.complete_many(
        [(first.entry["id"], "handled", "a"), ("in_unknown", "handled", "b"),
         (third.entry["id"], "done", "c")]
    )  # fmt: skip
    assert not isinstance(done[0], DomainError) and done[0]["outcome"] == "a"
    assert isinstance(done[1], NotFound) and isinstance(done[2], InvalidArgument)
    entry, dup = await Journal(db, clock, keys).record(_msg("m3"))
    assert dup and entry["status"] == "received"  # its refused outcome stored nothing
    with pytest.raises(InvalidArgument):
        await inbound.begin_many([])


async def test_a_batch_from_one_sender_in_one_chat_resolves_every_message(db: Database) -> None:
    inbound, clock, keys = _inbound(db)
    user, _ = await Identities(db, clock, keys).create_user(
        "Ada", "member", "", "telegram", "u1", "admin:a"
    )
    await inbound.begin(_msg("m0"), "", resolve_sender=True)  # the chat is known from here
    for which in ("known", "new"):
        chat = "chat 1" if which == "known" else "chat 2"
        begun = await inbound.begin_many(
            [(_msg(f"{which}{i}", chat=chat), "", True) for i in range(3)]
            + [(_msg(f"{which}-x", sender="u2", chat=chat), "", True)]
        )
        ok = [b for b in begun if isinstance(b, Begun)]
        assert len(ok) == 4 and len({b.context["id"] for b in ok if b.context}) == 1
        assert [(b.identity or {}).get("user_id") for b in ok] == [user["id"]] * 3 + [None]
        assert [b.role for b in ok] == ["member"] * 3 + [""]
