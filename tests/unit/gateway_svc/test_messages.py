"""HandleMessage and Chat end to end over a real store and orchestrator: journaled once,
a redelivery runs nothing, a turn that outlives the wait answers "still working"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from gateway_svc.commands.parse import split_command
from gateway_svc.commands.route import due_window
from gateway_svc.conversation import STILL_WORKING
from gateway_svc.inbox import IN_PROGRESS
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=1500) as c:
        yield c


def test_only_slash_messages_and_pair_in_a_dm_are_commands() -> None:
    assert split_command("/task@MyBot do it", False) == ("task", "do it")
    assert split_command("/admin_channel enable", False) == ("admin-channel", "enable")
    assert split_command("/prompt set Line one\nline two", False) == (
        "prompt",
        "set Line one\nline two",
    )
    assert split_command("pair", True) == ("pair", "")
    for text in ("pair", "search for X", "open the door", "yes", "status", "/"):
        assert split_command(text, False) is None


async def test_a_turn_answers_and_a_redelivery_runs_nothing(chat: Chat) -> None:
    first = await chat.say("hello there", mid="42")
    assert (first.handled, first.reply, first.pending) == (True, "echo: hello there", False)
    assert first.task_id and not first.duplicate
    again = await chat.say("hello there", mid="42")
    assert again.duplicate and (again.reply, again.task_id) == (first.reply, first.task_id)
    assert chat.turns.runs["hello there"] == 1
    # the same text with another message id is a new message
    other = await chat.say("hello there", mid="43")
    assert other.task_id != first.task_id and chat.turns.runs["hello there"] == 2


async def test_a_redelivery_mid_handling_says_still_working_and_runs_once(chat: Chat) -> None:
    gate = chat.turns.hold("think hard")
    first = asyncio.create_task(chat.say("think hard", mid="7"))
    await testing.eventually(lambda: "think hard" in chat.turns.started, "the turn started")
    during = await chat.say("think hard", mid="7")
    assert during.duplicate and during.reply == IN_PROGRESS
    out = await first  # the wait (1.5 s) ran out with the turn still held
    assert (out.pending, out.reply) == (True, STILL_WORKING) and out.task_id
    later = await chat.say("think hard", mid="7")
    assert later.duplicate and later.pending and later.task_id == out.task_id
    assert await chat.deliveries() == []
    gate.set()

    async def delivered() -> list[tuple[str, str, str, str]]:
        return [
            (d.idempotency_key, d.connector, d.chat_id, d.text) for d in await chat.deliveries()
        ]

    # the reply follows through the outbox, once
    expected = [(f"turn:{out.task_id}", "telegram", "chat-1", "echo: think hard")]
    assert await testing.eventually(delivered, "the reply is in the outbox") == expected

    async def answered() -> bool:
        r = await chat.say("think hard", mid="7")
        return not r.pending and r.reply == "echo: think hard"

    await testing.eventually(answered, "the redelivery carries the finished reply")
    assert chat.turns.runs["think hard"] == 1


async def test_a_late_reply_survives_the_gateway_stopping(chat: Chat) -> None:
    gate = chat.turns.hold("slow answer")
    out = await chat.say("slow answer", mid="9")  # the wait (1.5 s) runs out
    assert (out.pending, out.reply) == (True, STILL_WORKING)
    await chat.stop_gateway()  # nothing of the gateway is left to follow the turn
    assert await chat.deliveries() == []
    gate.set()

    async def delivered() -> list[tuple[str, str, str, str]]:
        return [
            (d.idempotency_key, d.connector, d.chat_id, d.text) for d in await chat.deliveries()
        ]

    expected = [(f"turn:{out.task_id}", "telegram", "chat-1", "echo: slow answer")]
    assert await testing.eventually(delivered, "the store wrote the late reply") == expected


async def test_group_chatter_not_addressed_to_the_bot_starts_no_turn(chat: Chat) -> None:
    reply = await chat.say("lunch?", direct_message=False, mentioned=False)
    assert (reply.handled, reply.reply) == (False, "")
    addressed = await chat.say("@bot lunch?", direct_message=False, mentioned=True)
    assert addressed.reply == "echo: @bot lunch?"
    assert chat.turns.runs["lunch?"] == 0


async def test_admin_commands_say_what_is_missing(chat: Chat) -> None:
    help_text = (await chat.say("/help")).reply
    assert "/task <prompt>" in help_text and "/approve-action" not in help_text
    unlinked = await chat.say("/admin-channel enable", user="u-2")
    assert unlinked.reply == "Access denied: link your admin identity first."
    usage = await chat.say("/admin-channel", user="u-2")
    assert usage.reply == "Usage: /admin-channel enable"
    await chat.link("u-2", "member")
    member = await chat.say("/prompt show", user="u-2")
    assert member.reply == "Access denied: admin role required."
    await chat.link("u-3", "admin")
    enabled = await chat.say("/admin-channel enable", user="u-3")
    assert enabled.reply.startswith("Admin channel enabled for context `")
    await chat.say("/prompt set Be brief.", user="u-3")
    shown = await chat.say("/prompt show", user="u-3", mid="show-again")
    assert shown.reply == "Current context prompt:\nBe brief."
    admin_help = (await chat.say("/help", user="u-3")).reply
    assert "/approve-action <action_id>" in admin_help


async def test_task_command_queues_a_general_task(chat: Chat) -> None:
    assert (await chat.say("/task")).reply == "Usage: /task <what should be done>"
    reply = await chat.say("/task write the weekly report")
    assert reply.reply.startswith("Task queued: `") and reply.reply.endswith("`")
    await testing.eventually(
        lambda: chat.turns.runs["write the weekly report"] == 1, "the task ran"
    )


async def test_unknown_commands_and_unconfigured_search(chat: Chat) -> None:
    assert "Unknown command /frobnicate" in (await chat.say("/frobnicate")).reply
    assert (await chat.say("/search")).reply == "Usage: /search <query>"
    assert (await chat.say("/search x")).reply == "Search is not configured on this runtime."


async def test_chat_speaks_as_the_admin_and_dedupes_by_message_id(chat: Chat) -> None:
    req = pb.ChatRequest(text="/help", message_id="c-1")
    reply = await chat.call("Chat", req, caller="svc:gateway")
    assert "/approve-action" in reply.reply and not reply.duplicate
    again = await chat.call("Chat", req, caller="svc:gateway")
    assert again.duplicate and again.reply == reply.reply
    turn = await chat.call("Chat", pb.ChatRequest(text="hi"), caller="svc:gateway")
    assert (turn.reply, turn.pending) == ("echo: hi", False) and turn.task_id
    with pytest.raises(errors.PermissionDenied):
        await chat.call("Chat", pb.ChatRequest(text="hi", from_user_id="bob"), caller="svc:gateway")
    with pytest.raises(errors.InvalidArgument):
        await chat.call("Chat", pb.ChatRequest(text="  "), caller="svc:gateway")


async def test_list_commands_is_the_catalogue(chat: Chat) -> None:
    reply = await chat.call("ListCommands", pb.ListCommandsRequest(), caller="svc:gateway")
    by_name = {c.name: c for c in reply.commands}
    assert by_name["task"].argument == "prompt" and by_name["task"].permission == "anyone"
    assert by_name["approve-action"].permission == "admin"
    assert {"help", "status", "monitor", "pending-actions", "deny-action", "pair"} <= set(by_name)


def test_due_windows() -> None:
    assert [due_window(t) for t in ("2h", "1d", "90m", "2h30m", "45s")] == [
        7200,
        86400,
        5400,
        9000,
        45,
    ]
    assert [due_window(t) for t in ("0d", "0h", "soon", "2x", "h", "1d2h")] == [None] * 6


async def test_a_caller_that_gives_up_still_gets_its_outcome_journaled(chat: Chat) -> None:
    gate = chat.turns.hold("slow one")
    request = pb.HandleMessageRequest(
        connector="telegram", external_id="chat-1", from_user_id="u-1", text="slow one",
        message_id="gone-1", direct_message=True,
    )  # fmt: skip
    async with testing.client_channel(chat.pki, chat.gateway, "svc:connectors") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await GatewayServiceStub(ch).HandleMessage(request, timeout=0.3)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

    async def journaled() -> pb.HandleMessageResponse | None:
        r = await chat.say("slow one", mid="gone-1")
        return r if r.reply != IN_PROGRESS else None

    stored = await testing.eventually(journaled, "the outcome is journaled")
    assert (stored.reply, stored.pending) == (STILL_WORKING, True) and stored.task_id
    gate.set()
    await testing.eventually(chat.deliveries, "the reply reaches the outbox")
    assert chat.turns.runs["slow one"] == 1


async def test_a_burst_of_messages_each_gets_its_own_sender_and_outcome(chat: Chat) -> None:
    """Messages that arrive together share the store's round trips (BeginInbounds,
    CompleteInbounds); each is still resolved, answered and journaled as its own."""
    await chat.link("u-3", "admin")
    denied = "Access denied: link your admin identity first."
    burst = [("u-3" if n % 2 else "u-9", f"chat-{n % 4}", f"burst-{n}") for n in range(24)]
    replies = await asyncio.gather(
        *(chat.say("/prompt show", user=u, chat=c, mid=m) for u, c, m in [*burst, burst[0]])
    )
    # burst-0 twice in the same burst: one handled it, the other ran nothing (told that it
    # is in hand, or given the stored outcome)
    pair = sorted([replies[0], replies[-1]], key=lambda r: r.duplicate)
    assert (pair[0].duplicate, pair[0].reply) == (False, denied)
    assert pair[1].duplicate and pair[1].reply in (IN_PROGRESS, denied)
    answers = [pair[0].reply, *(r.reply for r in replies[1:-1])]
    for (user, _, _), reply in zip(burst, answers, strict=True):
        assert (reply == denied) == (user == "u-9"), (user, reply)
    for (user, c, mid), reply in zip(burst, answers, strict=True):
        stored = await chat.say("/prompt show", user=user, chat=c, mid=mid)
        assert stored.duplicate and stored.reply == reply
