"""Roles per workspace: admin of one workspace, member elsewhere; overlord everywhere; a
cleared workspace role falls back to the user's own; every change audited. Both backends."""

from __future__ import annotations

import json

import pytest

from store_svc.audit import Audit
from store_svc.db import Database
from store_svc.keys import Keys
from store_svc.pairing import Pairings
from store_svc.workspace_roles import WorkspaceRoles
from svckit.errors import InvalidArgument, NotFound
from tests.fakes import FrozenClock

NOW = 1_800_000_000


CLOCK = FrozenClock(NOW)
KEYS = Keys(CLOCK)


async def _user(db: Database, cuid: str, role: str) -> str:
    pairings = Pairings(db, CLOCK, KEYS)
    _, token = await pairings.create("telegram", cuid, "Ada", 0)
    _, ident = await pairings.approve(token, "admin-1", role, "")
    return str(ident["user_id"])


async def test_admin_of_one_workspace_member_elsewhere(db: Database) -> None:
    roles = WorkspaceRoles(db, CLOCK, KEYS)
    ada = await _user(db, "u1", "member")
    assert await roles.effective(ada, "ws-a") == ("member", False)
    assert await roles.set(ada, "ws-a", "admin", "admin:ops") == "admin"
    assert await roles.effective(ada, "ws-a") == ("admin", True)
    assert await roles.effective(ada, "ws-b") == ("member", False)
    assert await roles.set(ada, "ws-a", "", "admin:ops") == "member"
    assert await roles.effective(ada, "ws-a") == ("member", False)
    entries, _ = await Audit(db, CLOCK, KEYS).list({"subject_id": ada}, 10, "")
    changes = [json.loads(e["after_json"]) for e in entries]  # newest first
    assert changes == [
        {"workspace_id": "ws-a", "role": ""},
        {"workspace_id": "ws-a", "role": "admin"},
    ]


async def test_overlord_is_global_and_bad_input_changes_nothing(db: Database) -> None:
    roles = WorkspaceRoles(db, CLOCK, KEYS)
    boss = await _user(db, "u2", "overlord")
    await roles.set(boss, "ws-a", "member", "admin:ops")
    assert await roles.effective(boss, "ws-a") == ("overlord", False)
    ada = await _user(db, "u3", "admin")
    await roles.set(ada, "ws-b", "member", "admin:ops")  # a global admin narrowed in ws-b
    assert (await roles.effective(ada, "ws-b"))[0] == "member"
    assert (await roles.effective(ada, "ws-c"))[0] == "admin"
    with pytest.raises(InvalidArgument):
        await roles.set(ada, "ws-b", "overlord", "admin:ops")
    with pytest.raises(NotFound):
        await roles.set("usr_nobody", "ws-b", "admin", "admin:ops")
    assert (await roles.effective(ada, "ws-b"))[0] == "member"
