"""Approvals: context filter and keyset pages; the executing task is recorded once with
execution status `queued`. Both backends."""

from __future__ import annotations

import pytest

from store_svc.approvals import Approvals
from store_svc.db import Database
from store_svc.keys import Keys
from store_svc.tasks import Tasks
from svckit.errors import FailedPrecondition
from tests.fakes import FrozenClock

NOW = 1_800_000_000


def _req(context: str) -> dict[str, object]:
    return {
        "workspace_id": "ws",
        "context_id": context,
        "connector": "telegram",
        "external_id": "chat",
        "requester_user_id": "u",
        "action_type": "webhook",
    }


async def test_context_filter_and_stable_pages(db: Database) -> None:
    clock = FrozenClock(NOW)
    approvals = Approvals(db, clock, Keys(clock), 3600)
    mine = [(await approvals.create(_req("c1")))["id"] for _ in range(3)]
    await approvals.create(_req("c2"))
    first, token = await approvals.page({"context_id": "c1"}, 2, "")
    assert [a["id"] for a in first] == mine[:2] and token
    mine.append((await approvals.create(_req("c1")))["id"])
    rest, last = await approvals.page({"context_id": "c1"}, 2, token)
    assert [a["id"] for a in rest] == mine[2:] and last == ""


async def test_queue_execution_once_with_its_task(db: Database) -> None:
    clock = FrozenClock(NOW)
    keys = Keys(clock)
    approvals, tasks = Approvals(db, clock, keys, 3600), Tasks(db, clock, keys)
    aid = (await approvals.create(_req("c1")))["id"]
    task = await tasks.create(
        {
            "workspace_id": "ws",
            "context_id": "c1",
            "title": "t",
            "prompt": "p",
            "run_key": f"approval:{aid}",
        }
    )
    with pytest.raises(FailedPrecondition):  # still pending
        await approvals.queue_execution(aid, task["id"], "svc:orchestrator")
    await approvals.decide(aid, True, "admin", "")
    other = await tasks.create(
        {"workspace_id": "ws", "context_id": "c1", "title": "t", "prompt": "p"}
    )
    with pytest.raises(FailedPrecondition):  # not the approval's task
        await approvals.queue_execution(aid, other["id"], "svc:orchestrator")
    queued = await approvals.queue_execution(aid, task["id"], "svc:orchestrator")
    assert queued["execution_status"] == "queued" and queued["task_id"] == task["id"]
    again = await approvals.queue_execution(aid, task["id"], "svc:orchestrator")
    assert again["task_id"] == task["id"]  # a retried call is a no-op
    done = await approvals.record_execution(aid, "succeeded", "ok", "webhook", 0, "svc:o")
    assert done["execution_status"] == "succeeded" and done["task_id"] == task["id"]
    with pytest.raises(FailedPrecondition):
        await approvals.queue_execution(aid, task["id"], "svc:orchestrator")


async def test_execution_runs_once_and_its_outcome_is_recorded_once(db: Database) -> None:
    clock = FrozenClock(NOW)
    approvals = Approvals(db, clock, Keys(clock), 3600)
    aid = (await approvals.create(_req("c1")))["id"]
    with pytest.raises(FailedPrecondition):  # not approved: nothing may run
        await approvals.record_execution(aid, "running", "", "webhook", 0, "orch")
    await approvals.decide(aid, True, "admin", "")
    started = await approvals.record_execution(aid, "running", "", "webhook", 0, "orch")
    assert (started["execution_status"], started["executed_at_unix"]) == ("running", None)
    with pytest.raises(FailedPrecondition) as again:  # a second start is refused
        await approvals.record_execution(aid, "running", "", "webhook", 0, "orch")
    assert again.value.details["execution_status"] == "running"
    done = await approvals.record_execution(aid, "succeeded", "ok", "webhook", 0, "orch")
    assert (done["execution_status"], done["execution_message"]) == ("succeeded", "ok")
    for status in ("unknown", "failed", "running"):  # an outcome is final
        with pytest.raises(FailedPrecondition):
            await approvals.record_execution(aid, status, "", "webhook", 0, "orch")
    assert (await approvals.get(aid))["execution_status"] == "succeeded"
