"""Action approvals on both backends: required fields, pending lists oldest first, one
decision each (concurrent ones included), expiry closed, execution recorded once, audit."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.approvals import Approvals
from store_svc.db import Database
from store_svc.keys import Keys
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.fakes import FrozenClock

NOW = 1_800_000_000
TTL = 3600


def _req(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workspace_id": "ws",
        "context_id": "ctx",
        "connector": "Telegram",
        "external_id": "chat-1",
        "requester_user_id": "u1",
        "action_type": "webhook",
        "action_target": "https://example.org/hook",
        "payload_json": '{"body": "hi"}',
    }
    return {**base, **kw}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.mark.parametrize(
    "field",
    [
        "workspace_id",
        "context_id",
        "connector",
        "external_id",
        "requester_user_id",
        "action_type",
    ],
)
async def test_create_requires_each_field(db: Database, clock: FrozenClock, field: str) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await Approvals(db, clock, Keys(clock), TTL).create(_req(**{field: "  "}))
    assert bad.value.field == field
    assert await db.read(lambda c: c.all("SELECT id FROM action_approvals")) == []


async def test_create_defaults_and_caps(db: Database, clock: FrozenClock) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    made = await approvals.create(_req(payload_json="", ttl_seconds=10 * TTL))
    assert made["id"].startswith("act_") and made["connector"] == "telegram"
    assert made["payload_json"] == "{}" and made["status"] == "pending"
    assert made["execution_status"] == "not_executed" and made["expires_at_unix"] == NOW + TTL
    short = await approvals.create(_req(ttl_seconds=60))
    assert short["expires_at_unix"] == NOW + 60
    for payload in ("[1]", "{nope"):
        with pytest.raises(InvalidArgument) as bad:
            await approvals.create(_req(payload_json=payload))
        assert bad.value.field == "payload_json"


async def test_pending_lists_by_chat_and_globally_oldest_first(
    db: Database, clock: FrozenClock
) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    first = await approvals.create(_req())
    clock.ms += 1000
    other_chat = await approvals.create(_req(external_id="chat-2"))
    clock.ms += 1000
    second = await approvals.create(_req(ttl_seconds=10))
    clock.ms += 1000
    decided = await approvals.create(_req())
    await approvals.decide(decided["id"], False, "admin-1", "")

    chat = await approvals.list(
        {"status": "pending", "connector": "TELEGRAM", "external_id": "chat-1"}, 0
    )
    assert [a["id"] for a in chat] == [first["id"], second["id"]]
    everywhere = await approvals.list({"status": "pending"}, 0)
    assert [a["id"] for a in everywhere] == [first["id"], other_chat["id"], second["id"]]
    assert len(await approvals.list({"status": "pending"}, 2)) == 2

    clock.ms += 10_000  # `second` lapses
    assert [a["id"] for a in await approvals.list({"status": "pending"}, 0)] == [
        first["id"],
        other_chat["id"],
    ]
    (expired,) = await approvals.list({"status": "expired"}, 0)
    assert expired["id"] == second["id"] and expired["status"] == "expired"
    assert (await approvals.get(second["id"]))["status"] == "expired"
    with pytest.raises(InvalidArgument):
        await approvals.list({"status": "maybe"}, 0)


async def test_one_decision_only(db: Database, clock: FrozenClock) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    made = await approvals.create(_req())
    approved = await approvals.decide(made["id"], True, "admin-1", "")
    assert approved["status"] == "approved" and approved["approver_user_id"] == "admin-1"
    for approve in (True, False):
        with pytest.raises(FailedPrecondition, match="not pending"):
            await approvals.decide(made["id"], approve, "admin-2", "")
    denied = await approvals.decide((await approvals.create(_req()))["id"], False, "a", " ")
    assert denied["status"] == "denied" and denied["denied_reason"] == "denied by admin"
    with pytest.raises(NotFound):
        await approvals.decide("act_nope", True, "a", "")
    with pytest.raises(InvalidArgument) as bad:
        await approvals.decide(made["id"], True, " ", "")
    assert bad.value.field == "approver_user_id"


async def test_concurrent_approve_and_deny_one_wins(db: Database, clock: FrozenClock) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    made = await approvals.create(_req())
    results = await asyncio.gather(
        *(approvals.decide(made["id"], n % 2 == 0, f"admin-{n}", "no") for n in range(8)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, FailedPrecondition) for r in results if isinstance(r, BaseException))
    assert (await approvals.get(made["id"]))["status"] == wins[0]["status"]


async def test_an_expired_approval_cannot_be_approved(db: Database, clock: FrozenClock) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    made = await approvals.create(_req())
    clock.ms += TTL * 1000
    with pytest.raises(FailedPrecondition, match="expired"):
        await approvals.decide(made["id"], True, "admin-1", "")
    stored = await db.read(
        lambda c: c.one("SELECT status FROM action_approvals WHERE id = :id", {"id": made["id"]})
    )
    assert stored == {"status": "expired"}
    with pytest.raises(FailedPrecondition):
        await approvals.record_execution(made["id"], "succeeded", "", "", 0, "svc:orchestrator")


async def test_execution_recorded_once_for_approved_only(db: Database, clock: FrozenClock) -> None:
    approvals = Approvals(db, clock, Keys(clock), TTL)
    denied = await approvals.create(_req())
    await approvals.decide(denied["id"], False, "admin-1", "too risky")
    with pytest.raises(FailedPrecondition, match="denied"):
        await approvals.record_execution(denied["id"], "succeeded", "", "", 0, "s")
    made = await approvals.create(_req())
    await approvals.decide(made["id"], True, "admin-1", "")
    with pytest.raises(InvalidArgument) as bad:
        await approvals.record_execution(made["id"], "", "", "", 0, "s")
    assert bad.value.field == "execution_status"
    done = await approvals.record_execution(made["id"], "Succeeded", "200 OK", "webhook", 0, "s")
    assert done["execution_status"] == "succeeded" and done["executed_at_unix"] == NOW
    assert done["executor_plugin"] == "webhook" and done["execution_message"] == "200 OK"
    with pytest.raises(FailedPrecondition, match="already"):
        await approvals.record_execution(made["id"], "failed", "again", "webhook", 0, "s")

    log = await db.read(
        lambda c: c.all(
            "SELECT actor, action, before_json, after_json FROM audit_log WHERE subject_id = :id"
            " ORDER BY action",
            {"id": made["id"]},
        )
    )
    assert [(e["actor"], e["action"]) for e in log] == [
        ("admin-1", "approval.approved"),
        ("s", "approval.executed"),
        ("u1", "approval.requested"),
    ]
    assert '"pending"' in log[0]["before_json"] and '"approved"' in log[0]["after_json"]
    assert '"body"' not in str(log)  # the payload may hold secrets: never audited
