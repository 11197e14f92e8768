"""Pairing, identities, journal, leases and deliveries on both backends."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.common import SystemClock
from store_svc.db import Database
from store_svc.deliveries import Deliveries
from store_svc.identities import Identities
from store_svc.journal import Journal
from store_svc.keys import Keys
from store_svc.leases import Leases
from store_svc.pairing import Pairings, token_hash
from svckit.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from tests.fakes import FrozenClock


async def test_pairing_stores_only_a_hash_and_links_a_verified_identity(db: Database) -> None:
    clock = SystemClock()
    keys = Keys(clock)
    pairings, identities = Pairings(db, clock, keys), Identities(db, clock, keys)
    req, token = await pairings.create("Telegram", "u1", "Ada", 0)
    assert len(token) == 16 and req["token_hint"] == f"{token[:4]}...{token[-4:]}"
    stored = await db.read(lambda c: c.all("SELECT * FROM pairing_requests"))
    assert token not in str(stored) and stored[0]["token_hash"] == token_hash(token)
    with pytest.raises(NotFound):
        await identities.lookup("telegram", "u1")
    approved, ident = await pairings.approve(token.lower(), "admin-user", "", "")
    assert approved["status"] == "approved" and ident["role"] == "member"
    assert (await identities.lookup("TELEGRAM", "u1"))["user_id"] == ident["user_id"]
    with pytest.raises(FailedPrecondition):
        await pairings.approve(token, "admin-user", "admin", "")
    with pytest.raises(InvalidArgument) as bad:
        await pairings.create("imap", "u2", "Bob", 0)
    assert bad.value.field == "connector"


async def test_a_fourth_request_expires_the_oldest_and_expiry_is_persisted(db: Database) -> None:
    clock = FrozenClock(1_000_000)
    pairings = Pairings(db, clock, Keys(clock))
    tokens = [(await pairings.create("discord", "u9", "Eve", 60))[1] for _ in range(4)]
    new = tokens[-1]
    states = [(await pairings.lookup(t))["status"] for t in tokens]
    assert states == ["expired", "pending", "pending", "pending"]
    clock.ms += 61_000
    with pytest.raises(FailedPrecondition, match="expired"):
        await pairings.approve(new, "admin", "member", "")
    assert (await pairings.lookup(new))["status"] == "expired"


async def test_identity_re_role_and_revoke_are_audited(db: Database) -> None:
    clock = SystemClock()
    identities = Identities(db, clock, Keys(clock))
    _, ident = await identities.create_user("Root", "overlord", "", "codex", "me", "admin:a")
    assert ident is not None
    assert (await identities.set_role(ident["id"], "viewer", "admin:a"))["role"] == "viewer"
    await identities.revoke(ident["id"], "admin:a")
    with pytest.raises(NotFound):
        await identities.lookup("codex", "me")
    actions = await db.read(lambda c: c.all("SELECT action FROM audit_log ORDER BY action"))
    assert [a["action"] for a in actions] == [
        "identity.revoked",
        "identity.role_changed",
        "user.created",
    ]


async def test_concurrent_duplicate_inbound_messages_share_one_entry(db: Database) -> None:
    clock = SystemClock()
    journal = Journal(db, clock, Keys(clock))
    msg = {"connector": "discord", "chat_id": "c", "platform_message_id": "m", "text": "x"}
    results = await asyncio.gather(*(journal.record(msg) for _ in range(10)))
    assert len({r[0]["id"] for r in results}) == 1
    assert sum(not dup for _, dup in results) == 1
    await journal.complete(results[0][0]["id"], "handled", "first")
    await journal.complete(results[0][0]["id"], "failed", "second")
    entry, dup = await journal.record(msg)
    assert dup and entry["outcome"] == "first" and entry["status"] == "handled"


async def test_leader_lease_has_one_holder_until_expiry(db: Database) -> None:
    clock = FrozenClock(5_000)
    leases = Leases(db, clock)
    first = await leases.acquire("scheduler", "a", 1000)
    with pytest.raises(Aborted):
        await leases.acquire("scheduler", "b", 1000)
    assert (await leases.renew("scheduler", "a", 1000))["token"] == first["token"]
    clock.ms += 1001
    taken = await leases.acquire("scheduler", "b", 1000)
    assert taken["holder"] == "b" and taken["token"] == first["token"] + 1
    with pytest.raises(Aborted):
        await leases.renew("scheduler", "a", 1000)
    assert await leases.release("scheduler", "b")


async def test_delivery_idempotency_key_and_sent_is_final(db: Database) -> None:
    clock = SystemClock()
    deliveries = Deliveries(db, clock, Keys(clock))
    req = {"idempotency_key": "task:1:done", "connector": "telegram", "chat_id": "9", "text": "hi"}
    first = await deliveries.create(req)
    with pytest.raises(AlreadyExists) as dup:
        await deliveries.create(req)
    assert dup.value.existing_id == first["id"]
    sent = await deliveries.update(
        {"id": first["id"], "status": "sent", "platform_message_id": "77"}
    )
    assert sent["status"] == "sent" and sent["attempts"] == 1
    with pytest.raises(FailedPrecondition):
        await deliveries.update({"id": first["id"], "status": "failed"})


async def test_a_failed_or_stale_inbound_message_is_taken_again(db: Database) -> None:
    clock = FrozenClock(1_000_000)
    journal = Journal(db, clock, Keys(clock), retake_after_s=300)
    msg = {"connector": "telegram", "chat_id": "c", "platform_message_id": "1", "text": "hi"}
    first, dup = await journal.record(msg)
    assert not dup
    again, dup = await journal.record(msg)  # being handled: a duplicate
    assert dup and again["status"] == "received"
    await journal.complete(first["id"], "failed", '{"reply": "oops"}')
    retaken, dup = await journal.record(msg)  # failed: taken again, same entry
    assert (not dup, retaken["id"], retaken["status"]) == (True, first["id"], "received")
    clock.ms += 299_000
    assert (await journal.record(msg))[1]  # within the bound: still being handled
    clock.ms += 2_000
    assert not (await journal.record(msg))[1]  # its handler died: taken again
    await journal.complete(first["id"], "handled", '{"reply": "ok"}')
    done, dup = await journal.record(msg)
    assert dup and (done["status"], done["outcome"]) == ("handled", '{"reply": "ok"}')
