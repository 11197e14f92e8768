"""Sensitive-tool grants on both backends: a grant makes CreateApproval with use_grant
approve at once (the granting admin as approver of record, audited); without one, expired,
revoked, or in another context, the approval stays pending; bad TTLs are refused."""

from __future__ import annotations

import pytest

from store_svc.approvals import Approvals
from store_svc.db import Database
from store_svc.grants import Grants
from store_svc.keys import Keys
from svckit.errors import InvalidArgument, NotFound
from tests.fakes import FrozenClock

NOW = 1_800_000_000


def _req(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workspace_id": "ws", "context_id": "ctx", "connector": "telegram",
        "external_id": "42", "requester_user_id": "u1", "action_type": "webhook",
        "use_grant": True,
    }  # fmt: skip
    return {**base, **kw}


async def test_a_grant_approves_what_the_agent_asks_in_its_context_only(db: Database) -> None:
    clock = FrozenClock(NOW)
    grants, approvals = Grants(db, clock, Keys(clock)), Approvals(db, clock, Keys(clock), 3600)
    before, _ = await approvals.create_once(_req())
    assert before["status"] == "pending"
    grant = await grants.grant("ws", "ctx", 600, "admin:alice")
    assert grant["expires_at_unix"] == NOW + 600
    approved, created = await approvals.create_once(_req(idempotency_key="k1"))
    assert created and approved["status"] == "approved"
    assert approved["approver_user_id"] == "grant:admin:alice"
    assert (await approvals.create_once(_req(context_id="other")))[0]["status"] == "pending"
    assert (await approvals.create_once(_req(use_grant=False)))[0]["status"] == "pending"
    actions = await db.read(
        lambda c: c.all("SELECT action, actor FROM audit_log WHERE subject_id = :id",
                        {"id": approved["id"]})
    )  # fmt: skip
    assert {(a["action"], a["actor"]) for a in actions} == {
        ("approval.requested", "u1"),
        ("approval.approved", "grant:admin:alice"),
    }
    clock.advance(601)  # expired: approves nothing, and is not found
    assert (await approvals.create_once(_req()))[0]["status"] == "pending"
    with pytest.raises(NotFound):
        await grants.get("ws", "ctx")


async def test_revoke_ends_a_grant_and_bad_ttls_change_nothing(db: Database) -> None:
    clock = FrozenClock(NOW)
    grants, approvals = Grants(db, clock, Keys(clock)), Approvals(db, clock, Keys(clock), 3600)
    for ttl in (-1, 7 * 86400 + 1):
        with pytest.raises(InvalidArgument) as bad:
            await grants.grant("ws", "ctx", ttl, "admin:alice")
        assert bad.value.field == "ttl_seconds"
    with pytest.raises(NotFound):
        await grants.get("ws", "ctx")
    await grants.grant("ws", "ctx", 0, "admin:alice")
    assert (await grants.get("ws", "ctx"))["expires_at_unix"] == NOW + 3600
    await grants.revoke("ws", "ctx", "admin:bob")
    assert (await approvals.create_once(_req()))[0]["status"] == "pending"
    with pytest.raises(NotFound):
        await grants.revoke("ws", "ctx", "admin:bob")
