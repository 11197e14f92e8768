"""Notices in the delivery ledger (the outbox), written by the transaction that finishes a
task or records an action's outcome: one pending row per key, addressed per REFERENCE.md
§4.6 (origin chat for completions, the workspace's admin contexts for failures and routed
tasks; reindex tasks silent). Both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from store_svc import notices
from store_svc.approval_expiry import ApprovalSweeper
from store_svc.approvals import Approvals
from store_svc.db import Database, Row
from store_svc.deliveries import Deliveries
from store_svc.keys import Keys
from store_svc.queue import Queue
from store_svc.tasks import Tasks
from store_svc.workspaces import Workspaces
from tests.fakes import FrozenClock

NOW = 1_800_000_000
CLOCK = FrozenClock(NOW)
KEYS = Keys(CLOCK)


async def _chat(db: Database, external_id: str, admin: bool = False) -> Row:
    spaces = Workspaces(db, CLOCK, KEYS)
    ctx, _ = await spaces.ensure_context("telegram", external_id, "")
    if admin:
        await spaces.update_context(ctx["id"], True, None, "admin:test")
    return ctx


async def _run(db: Database, ctx: Row, **extra: Any) -> tuple[Queue, Row]:
    req = {"workspace_id": ctx["workspace_id"], "context_id": ctx["id"], "title": "Weekly",
           "prompt": "p", **extra}  # fmt: skip
    task = await Tasks(db, CLOCK, KEYS).create(req)
    queue = Queue(db, CLOCK, KEYS)
    [claimed] = await queue.claim("w", 1, 60_000, kinds=[task["kind"]])
    assert claimed["id"] == task["id"]
    return queue, claimed


async def _ledger(db: Database) -> list[Row]:
    return sorted(await Deliveries(db, CLOCK, KEYS).list("", "", 500), key=lambda r: r["seq"])


async def test_a_completed_task_notifies_its_origin_chat_once(db: Database) -> None:
    ctx = await _chat(db, "chat-1")
    queue, t = await _run(db, ctx)
    await queue.complete(t["id"], t["lease_token"], "all   green", "")
    [row] = await _ledger(db)
    assert (row["idempotency_key"], row["status"]) == (f"task:{t['id']}:succeeded", "pending")
    assert (row["connector"], row["chat_id"]) == ("telegram", "chat-1")
    assert row["text"] == "Weekly (general): all green"
    # the same event written again (a retried completion, a second replica) is a no-op
    done = await Tasks(db, CLOCK, KEYS).get(t["id"])
    assert await db.write(lambda c: notices.task_finished(c, KEYS, done, NOW)) == 0
    assert len(await _ledger(db)) == 1


async def test_failures_go_to_the_admin_contexts_only(db: Database) -> None:
    quiet = await _chat(db, "community")  # not an admin context: hears nothing of failures
    queue, t = await _run(db, quiet)
    await queue.fail(t["id"], t["lease_token"], "boom", False)
    assert await _ledger(db) == []

    admin = await _chat(db, "ops", admin=True)
    queue, t = await _run(db, admin, max_attempts=1)
    await queue.fail(t["id"], t["lease_token"], "boom\nagain", True)  # last attempt: dead
    [row] = await _ledger(db)
    assert row["idempotency_key"] == f"task:{t['id']}:dead"
    assert (row["chat_id"], row["text"]) == ("ops", f"Task `{t['id']}` failed: boom again")


async def test_routed_tasks_notify_admins_and_reindex_and_turns_are_silent(db: Database) -> None:
    admin = await _chat(db, "ops", admin=True)
    queue, t = await _run(db, admin, route_class="issue")
    await queue.complete_many([(t["id"], t["lease_token"], "fixed it", "", "")])
    for kind in ("reindex_markdown", "turn"):
        queue, other = await _run(db, admin, kind=kind)
        await queue.complete(other["id"], other["lease_token"], "done", "")
    [row] = await _ledger(db)
    assert (row["idempotency_key"], row["chat_id"], row["text"]) == (
        f"task:{t['id']}:succeeded",
        "ops",
        "fixed it",
    )


async def test_an_action_outcome_is_posted_to_the_requesting_chat(db: Database) -> None:
    approvals = Approvals(db, CLOCK, KEYS, 3600)
    req = {
        "workspace_id": "ws",
        "context_id": "c",
        "connector": "Telegram",
        "external_id": "chat-9",
        "requester_user_id": "u",
        "action_type": "send_email",
    }
    aid = (await approvals.create(req))["id"]
    await approvals.decide(aid, True, "admin", "")
    await approvals.record_execution(aid, "running", "", "smtp_email", 0, "svc:orchestrator")
    assert await _ledger(db) == []  # running is not an outcome
    await approvals.record_execution(aid, "unknown", "interrupted", "smtp_email", 0, "orch")
    [row] = await _ledger(db)
    assert (row["idempotency_key"], row["connector"], row["chat_id"]) == (
        f"approval:{aid}:unknown",
        "telegram",
        "chat-9",
    )
    assert "will not be repeated" in row["text"]


async def test_sweepers_at_once_expire_an_approval_and_tell_its_requester_once(
    db: Database,
) -> None:
    clock = FrozenClock(NOW)
    approvals = Approvals(db, clock, Keys(clock), ttl_seconds=60)
    ctx = await _chat(db, "requester")
    req = {"workspace_id": ctx["workspace_id"], "context_id": ctx["id"],
           "connector": "telegram", "external_id": "requester", "requester_user_id": "u1",
           "action_type": "webhook"}  # fmt: skip
    row = await approvals.create(req)
    replicas = [ApprovalSweeper(db, clock, Keys(clock), 1.0) for _ in range(3)]
    assert sum(await asyncio.gather(*(s.sweep() for s in replicas))) == 0  # not lapsed yet
    clock.advance(61)
    assert sum(await asyncio.gather(*(s.sweep() for s in replicas))) == 1
    assert (await approvals.get(row["id"]))["status"] == "expired"
    [notice] = [r for r in await _ledger(db) if r["idempotency_key"].startswith("approval:")]
    assert notice["idempotency_key"] == f"approval:{row['id']}:expired"
    assert (notice["connector"], notice["chat_id"]) == ("telegram", "requester")
