"""DeliverTurnReply: the reply of a turn the gateway stopped waiting for lands in the delivery
ledger once, under `turn:<task id>`, whichever of the ask and the turn's end comes first, and
also when both race. Both backends."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.db import Database, Row
from store_svc.deliveries import Deliveries
from store_svc.queue import Queue
from store_svc.tasks import Tasks
from store_svc.turn_replies import TurnReplies
from store_svc.workspaces import Workspaces
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.fakes import FrozenClock
from tests.unit.store_svc.test_notices import CLOCK, KEYS

CHAT = ("telegram", "chat-9")


async def _turn(db: Database, chat: str = "chat-9", kind: str = "turn") -> tuple[Queue, Row]:
    """A claimed (running) task of `kind` in its own conversation."""
    ctx, _ = await Workspaces(db, CLOCK, KEYS).ensure_context("telegram", chat, "")
    req = {"workspace_id": ctx["workspace_id"], "context_id": ctx["id"], "kind": kind,
           "title": "t", "prompt": "p", "run_key": f"turn:{chat}"}  # fmt: skip
    task = await Tasks(db, CLOCK, KEYS).create(req)
    queue = Queue(db, CLOCK, KEYS)
    [claimed] = await queue.claim("w", 1, 60_000, kinds=[kind])
    assert claimed["id"] == task["id"]
    return queue, claimed


async def _ledger(db: Database) -> list[tuple[str, str, str, str]]:
    rows = await Deliveries(db, CLOCK, KEYS).list("", "", 500)
    return sorted((r["idempotency_key"], r["connector"], r["chat_id"], r["text"]) for r in rows)


async def test_a_turn_that_finishes_after_the_ask_is_delivered_once(db: Database) -> None:
    queue, t = await _turn(db)
    replies = TurnReplies(db, CLOCK, KEYS)
    assert await replies.deliver(t["id"], *CHAT) is False
    assert await replies.deliver(t["id"], *CHAT) is False  # asking again: no-op
    assert await _ledger(db) == []
    await queue.complete(t["id"], t["lease_token"], "summary", "", "  the whole reply ")
    expected = [(f"turn:{t['id']}", *CHAT, "the whole reply")]
    assert await _ledger(db) == expected
    assert await replies.deliver(t["id"], *CHAT) is True  # already recorded: nothing new
    assert await _ledger(db) == expected


async def test_a_turn_that_finished_before_the_ask_is_delivered_at_once(db: Database) -> None:
    queue, t = await _turn(db)
    await queue.complete(t["id"], t["lease_token"], "summary", "", "done already")
    assert await _ledger(db) == []  # nobody asked: the gateway returned the reply itself
    replies = TurnReplies(db, CLOCK, KEYS)
    assert await replies.deliver(t["id"], *CHAT) is True
    assert await replies.deliver(t["id"], *CHAT) is True
    assert await _ledger(db) == [(f"turn:{t['id']}", *CHAT, "done already")]


async def test_a_failed_turn_is_delivered_with_what_stopped_it(db: Database) -> None:
    queue, t = await _turn(db)
    await TurnReplies(db, CLOCK, KEYS).deliver(t["id"], *CHAT)
    await queue.fail(t["id"], t["lease_token"], "model unavailable", False)
    assert await _ledger(db) == [
        (f"turn:{t['id']}", *CHAT, "I could not finish that turn: model unavailable")
    ]


async def test_the_ask_racing_the_turns_end_delivers_exactly_once(db: Database) -> None:
    replies = TurnReplies(db, CLOCK, KEYS)
    rounds: list[str] = []
    for i in range(8):  # one turn per conversation: each round its own turn
        queue, t = await _turn(db, f"race-{i}")
        ask = replies.deliver(t["id"], *CHAT)
        end = queue.complete(t["id"], t["lease_token"], "s", "", f"reply {i}")
        if i % 2:
            await asyncio.gather(end, ask)
        else:
            await asyncio.gather(ask, end)
        rounds.append(t["id"])
    ledger = await _ledger(db)
    assert ledger == sorted((f"turn:{tid}", *CHAT, f"reply {i}") for i, tid in enumerate(rounds))


async def test_bad_asks_are_refused_and_change_nothing(db: Database) -> None:
    queue, t = await _turn(db, kind="general")
    replies = TurnReplies(db, FrozenClock(0), KEYS)
    with pytest.raises(FailedPrecondition):
        await replies.deliver(t["id"], *CHAT)
    with pytest.raises(NotFound):
        await replies.deliver("tsk_missing", *CHAT)
    with pytest.raises(InvalidArgument):
        await replies.deliver(t["id"], "", "chat-9")
    await queue.complete(t["id"], t["lease_token"], "s", "", "")
    assert [k for k, *_ in await _ledger(db)] == [f"task:{t['id']}:succeeded"]
