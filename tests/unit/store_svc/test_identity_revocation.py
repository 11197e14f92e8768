"""Revoking an identity keeps its row (status, time, reason; audited), hides it from the
verified lookup and from listings unless asked, and a new pairing links the account again
as a fresh identity. Both backends."""

from __future__ import annotations

import json

import pytest

from store_svc.audit import Audit
from store_svc.db import Database
from store_svc.identities import Identities
from store_svc.keys import Keys
from store_svc.pairing import Pairings
from svckit.errors import AlreadyExists, InvalidArgument, NotFound
from tests.fakes import FrozenClock

NOW = 1_800_000_000


CLOCK = FrozenClock(NOW)
KEYS = Keys(CLOCK)


async def _pair(db: Database, cuid: str, role: str = "member") -> str:
    pairings = Pairings(db, CLOCK, KEYS)
    _, token = await pairings.create("telegram", cuid, "Ada", 0)
    _, ident = await pairings.approve(token, "admin-1", role, "")
    return str(ident["id"])


async def test_revoke_keeps_the_row_hides_it_and_a_new_pairing_links_afresh(
    db: Database,
) -> None:
    identities = Identities(db, CLOCK, KEYS)
    first = await _pair(db, "u1")
    revoked = await identities.revoke(first, "admin:ops", "left the team")
    assert revoked["status"] == "revoked" and revoked["revoked_at_unix"] == NOW
    assert revoked["revoke_reason"] == "left the team" and revoked["display_name"] == "Ada"
    with pytest.raises(NotFound):
        await identities.lookup("telegram", "u1")
    with pytest.raises(NotFound):  # revoking twice: as unknown as when revoking deleted it
        await identities.revoke(first, "admin:ops")
    assert (await identities.list("", 100, ""))[0] == []

    (entry,), _ = await Audit(db, CLOCK, KEYS).list({"subject_id": first}, 10, "")
    assert entry["action"] == "identity.revoked" and entry["actor"] == "admin:ops"
    assert json.loads(entry["after_json"]) == {"status": "revoked", "reason": "left the team"}

    second = await _pair(db, "u1")  # a fresh link, never the revoked row reactivated
    assert second != first
    assert (await identities.lookup("telegram", "u1"))["id"] == second
    with pytest.raises(AlreadyExists):  # still one active link per account
        await _pair(db, "u1")
    every, _ = await identities.list("telegram", 100, "", include_revoked=True)
    assert [(i["id"], i["status"]) for i in every] == [(first, "revoked"), (second, "active")]


async def test_list_identities_filters_by_user_and_role(db: Database) -> None:
    identities = Identities(db, CLOCK, KEYS)
    member = await _pair(db, "m1")
    admin = await _pair(db, "a1", role="admin")
    user_of_admin = (await identities.lookup("telegram", "a1"))["user_id"]
    by_role, _ = await identities.list("", 100, "", role="Admin")
    assert [i["id"] for i in by_role] == [admin]
    by_user, _ = await identities.list("", 100, "", user_id=user_of_admin)
    assert [i["id"] for i in by_user] == [admin]
    members, _ = await identities.list("", 100, "", role="member")
    assert [i["id"] for i in members] == [member]
    with pytest.raises(InvalidArgument) as bad:
        await identities.list("", 100, "", role="boss")
    assert bad.value.field == "role"
