"""Listings come back in creation order even when every row is made in the same second
(the clock is frozen): `seq` breaks the tie, not the random id. Both backends."""

from __future__ import annotations

from typing import Any

import pytest

from store_svc.approvals import Approvals
from store_svc.audit import Audit
from store_svc.db import Database
from store_svc.deliveries import Deliveries
from store_svc.keys import Keys
from store_svc.objective_runs import ObjectiveRuns
from store_svc.objectives import Objectives
from store_svc.pairing import Pairings
from store_svc.tasks import Tasks
from store_svc.workspaces import Workspaces
from svckit.errors import InvalidArgument
from tests.fakes import FrozenClock

NOW = 1_800_000_000
N = 12


CLOCK = FrozenClock(NOW)
KEYS = Keys(CLOCK)


async def test_objectives_and_runs_list_in_creation_order(db: Database) -> None:
    objectives, runs = Objectives(db, CLOCK, KEYS), ObjectiveRuns(db, CLOCK, KEYS)
    made = []
    for i in range(N):
        obj = await objectives.create(
            {
                "workspace_id": "ws",
                "context_id": "ctx",
                "title": f"o{i}",
                "prompt": "p",
                "trigger_type": "event",
                "event_key": "k",
            },
            "a",
        )
        made.append(obj["id"])
    listed = await objectives.list("ws", False, 100, "")
    assert [o["id"] for o in listed] == made

    recorded = []
    for _ in range(N):
        _, run = await runs.record({"objective_id": made[0], "outcome": "skipped"}, "a")
        recorded.append(run["id"])
    page, _ = await runs.list(made[0], 100, "")
    assert [r["id"] for r in page] == recorded[::-1]  # newest first


async def test_tasks_approvals_pairings_deliveries_audit_in_creation_order(db: Database) -> None:
    tasks = Tasks(db, CLOCK, KEYS)
    base = {"workspace_id": "ws", "context_id": "ctx", "title": "t", "prompt": "p"}
    one_by_one = [(await tasks.create(base))["id"] for _ in range(N)]
    batch = [r["id"] for r in await tasks.create_many([base] * N) if isinstance(r, dict)]
    page, _ = await tasks.list({"workspace_id": "ws"}, 100, "")
    assert [t["id"] for t in page] == (one_by_one + batch)[::-1]  # same update time: newest

    approvals = Approvals(db, CLOCK, KEYS, 3600)
    made = []
    for _ in range(N):
        row = await approvals.create(
            {
                "workspace_id": "ws",
                "context_id": "ctx",
                "connector": "telegram",
                "external_id": "chat",
                "requester_user_id": "u",
                "action_type": "webhook",
            }
        )
        made.append(row["id"])
    assert [a["id"] for a in await approvals.list({}, 100)] == made  # oldest first

    pairings = Pairings(db, CLOCK, KEYS)
    paired = [(await pairings.create("telegram", f"u{i}", "Ada", 0))[0]["id"] for i in range(N)]
    listed, _ = await pairings.list("", 100, "")
    assert [p["id"] for p in listed] == paired[::-1]  # newest first

    deliveries = Deliveries(db, CLOCK, KEYS)
    sent = []
    for i in range(N):
        row = await deliveries.create(
            {"idempotency_key": f"k{i}", "connector": "telegram", "chat_id": "c", "text": "x"}
        )
        sent.append(row["id"])
    assert [d["id"] for d in await deliveries.list("", "", 100)] == sent[::-1]

    audit = Audit(db, CLOCK, KEYS)
    logged = []
    for i in range(N):
        row = await audit.append(
            {"actor": "a", "action": "x", "subject_kind": "thing", "subject_id": f"s{i}"}
        )
        logged.append(row["id"])
    entries, _ = await audit.list({"subject_kind": "thing"}, 100, "")
    assert [e["id"] for e in entries] == logged[::-1]  # newest first


async def test_contexts_list_in_creation_order(db: Database) -> None:
    workspaces = Workspaces(db, CLOCK, KEYS)
    made = []
    for i in range(N):
        ctx, _ = await workspaces.ensure_context("telegram", f"chat-{i}", f"Chat {i}")
        made.append(ctx["workspace_id"])
    listed, _ = await workspaces.list(100, "")
    assert [w["id"] for w in listed] == made


async def test_objective_pages_are_stable_under_inserts(db: Database) -> None:
    objectives = Objectives(db, CLOCK, KEYS)

    async def make(title: str) -> str:
        row = await objectives.create(
            {
                "workspace_id": "ws",
                "context_id": "ctx",
                "title": title,
                "prompt": "p",
                "trigger_type": "event",
                "event_key": "k",
            },
            "a",
        )
        return str(row["id"])

    made = [await make(f"o{i}") for i in range(5)]
    first, token = await objectives.page("ws", False, 2, "", "")
    assert [o["id"] for o in first] == made[:2] and token
    made.append(await make("late"))  # created between pages: shows up at the end
    second, token = await objectives.page("ws", False, 2, "", token)
    third, token2 = await objectives.page("ws", False, 2, "", token)
    assert [o["id"] for o in second + third] == made[2:] and token2 == ""
    with pytest.raises(InvalidArgument) as bad:
        await objectives.page("ws", False, 2, "", "12")
    assert bad.value.field == "page_token"


async def test_runs_filter_by_outcome_and_keep_record_time_apart(db: Database) -> None:
    objectives, runs = Objectives(db, CLOCK, KEYS), ObjectiveRuns(db, CLOCK, KEYS)
    obj = await objectives.create(
        {
            "workspace_id": "ws",
            "context_id": "ctx",
            "title": "t",
            "prompt": "p",
            "trigger_type": "event",
            "event_key": "k",
        },
        "a",
    )
    _, queued = await runs.record({"objective_id": obj["id"], "outcome": "queued"}, "a")
    assert queued["created_at_unix"] == NOW and queued["started_at_unix"] == NOW  # default
    _, skipped = await runs.record({"objective_id": obj["id"], "outcome": "skipped"}, "a")
    _, given = await runs.record(
        {"objective_id": obj["id"], "outcome": "running", "started_at_unix": NOW - 30}, "a"
    )
    assert given["started_at_unix"] == NOW - 30 and given["created_at_unix"] == NOW

    _, done = await runs.finish(
        {"run_id": queued["id"], "outcome": "succeeded", "started_at_unix": NOW + 7}, "a"
    )
    assert done["started_at_unix"] == NOW + 7 and done["created_at_unix"] == NOW

    page, _ = await runs.list(obj["id"], 50, "", ["Running", "succeeded"])
    assert [r["id"] for r in page] == [given["id"], queued["id"]]
    page, token = await runs.list(obj["id"], 1, "", ["skipped"])
    assert [r["id"] for r in page] == [
        skipped["id"]
    ] and token == ""  # no empty page after a full one
    with pytest.raises(InvalidArgument) as bad:
        await runs.list(obj["id"], 50, "", ["done"])
    assert bad.value.field == "outcomes"


async def _all_pages(list_page: Any, size: int) -> tuple[list[str], int]:
    """Every id over pages of `size`, and how many pages it took."""
    ids: list[str] = []
    token, pages = "", 0
    while True:
        rows, token = await list_page(size, token)
        pages += 1
        ids += [r["id"] for r in rows]
        if not token:
            return ids, pages


async def test_every_listing_pages_by_key_without_gaps_repeats_or_a_trailing_empty_page(
    db: Database,
) -> None:
    workspaces, pairings, audit = (
        Workspaces(db, CLOCK, KEYS),
        Pairings(db, CLOCK, KEYS),
        Audit(db, CLOCK, KEYS),
    )
    ctxs = [(await workspaces.ensure_context("telegram", f"c{i}", "C"))[0] for i in range(N)]
    paired = [(await pairings.create("telegram", f"u{i}", "Ada", 0))[0]["id"] for i in range(N)]
    for i in range(N):
        await audit.append({"actor": "a", "action": "x", "subject_kind": "k", "subject_id": f"{i}"})
    listings = {
        "workspaces": (lambda n, t: workspaces.list(n, t), [c["workspace_id"] for c in ctxs]),
        "contexts": (
            lambda n, t: workspaces.list_contexts("", False, n, t),
            [c["id"] for c in ctxs],
        ),
        "pairings": (lambda n, t: pairings.list("", n, t), paired[::-1]),
        "audit": (lambda n, t: audit.list({"subject_kind": "k"}, n, t), None),
    }
    for name, (list_page, expected) in listings.items():
        ids, pages = await _all_pages(list_page, 4)  # 12 rows: exactly 3 full pages
        assert pages == 3, name
        assert len(ids) == len(set(ids)) == N, name
        if expected is not None:
            assert ids == expected, name
        with pytest.raises(InvalidArgument) as bad:
            await list_page(4, "3")  # an old offset token is refused, not misread
        assert bad.value.field == "page_token", name

    # Newest first: a pairing made between pages neither repeats a row nor hides one.
    first, token = await pairings.list("", 4, "")
    await pairings.create("telegram", "late", "Ada", 0)
    rest, _ = await _all_pages(lambda n, t: pairings.list("", n, t or token), 4)
    assert [p["id"] for p in first] + rest == paired[::-1]
