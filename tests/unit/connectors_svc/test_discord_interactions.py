"""Slash commands on the Discord adapter: each is deferred at once and answered through its
interaction (the original response, then follow-ups), by the reply's route; an expired or
refused token falls back to channel messages."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

from connectors_svc.adapters.base import Part
from svckit.testing import eventually
from tests.fake_discord import FakeDiscord, wait_connected
from tests.unit.connectors_svc.discord_kit import EchoSink, adapter_for, posted_texts, running


async def test_an_interaction_is_deferred_then_the_original_is_edited(
    discord_fake: FakeDiscord,
) -> None:
    async with running(discord_fake) as sink:
        iid, token = await discord_fake.interaction("approve-action", {"id": "a1 "})
        await eventually(lambda: discord_fake.edits, "the edited response")
    [callback] = discord_fake.callbacks
    assert (callback["interaction_id"], callback["type"]) == (iid, 5)
    [message] = sink.received
    assert (message.text, message.message_id, message.from_user_id) == (
        "/approve-action a1",
        iid,
        "42",
    )
    assert discord_fake.edits == [{"content": "echo: /approve-action a1", "token": token}]
    assert (
        discord_fake.posted == [] and discord_fake.followups == []
    )  # one answer, in the interaction


async def test_a_reply_in_parts_goes_through_the_interaction(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        sink.deliver = False  # the outbox delivers the reply (below), part by part
        iid, token = await discord_fake.interaction("status")
        [message] = await eventually(lambda: sink.received, "the command")
        route, adapter = message.reply_route, sink.adapter
        parts = [
            Part(discord_fake.channel_id, t, reply_route=route, index=i)
            for i, t in enumerate("ABC")
        ]
        first = await adapter.send_part(replace(parts[0], reply_to_message_id=iid))
        again = await adapter.send_part(replace(parts[0], reply_to_message_id=iid))  # a retry
        more = [await adapter.send_part(p) for p in parts[1:]]
    assert [(e["content"], e["token"]) for e in discord_fake.edits] == [("A", token), ("A", token)]
    assert [(f["content"], f["token"]) for f in discord_fake.followups] == [
        ("B", token),
        ("C", token),
    ]
    assert discord_fake.posted == [] and len({first, *more}) == 3 and again == first


async def test_an_expired_interaction_falls_back_to_channel_messages(
    discord_fake: FakeDiscord,
) -> None:
    now = [time.time()]
    adapter = adapter_for(discord_fake, clock=lambda: now[0])
    sink = EchoSink(adapter, deliver=False)
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(discord_fake)
        iid, token = await discord_fake.interaction("status")
        [message] = await eventually(lambda: sink.received, "the command")
        route = message.reply_route
        # the token expires (fifteen minutes) before the reply's second part is sent
        await adapter.send_part(Part(discord_fake.channel_id, "A", iid, reply_route=route))
        now[0] += 15 * 60
        await adapter.send_part(Part(discord_fake.channel_id, "B", reply_route=route, index=1))
        # Discord refuses a token it no longer knows (401): the part goes to the channel
        discord_fake.expire(token)
        now[0] -= 15 * 60
        await adapter.send_part(Part(discord_fake.channel_id, "C", reply_route=route, index=2))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
    assert [e["content"] for e in discord_fake.edits] == ["A"] and discord_fake.followups == []
    assert posted_texts(discord_fake) == ["B", "C"]
    assert all(
        "message_reference" not in p for p in discord_fake.posted
    )  # an interaction is no message


async def test_a_reply_recorded_without_a_route(discord_fake: FakeDiscord) -> None:
    """Rows written before routes were kept: this process finds the interaction it deferred
    by the id replied to; another process (a restart) does not, and uses the channel."""
    async with running(discord_fake) as sink:
        sink.deliver = False
        iid, token = await discord_fake.interaction("status")
        await eventually(lambda: sink.received, "the command")
        await sink.adapter.send_part(Part(discord_fake.channel_id, "here", iid))
        other = adapter_for(discord_fake)
        try:
            await other.send_part(Part(discord_fake.channel_id, "restarted", iid))
        finally:
            await other.aclose()
    assert [(e["content"], e["token"]) for e in discord_fake.edits] == [("here", token)]
    assert posted_texts(discord_fake) == ["restarted"]


async def test_a_command_without_a_reply_says_it_was_received(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        sink.deliver = False
        sink.reply = ""
        await discord_fake.interaction("status")
        await eventually(lambda: discord_fake.edits, "the edited response")
    assert [e["content"] for e in discord_fake.edits] == ["Command received."]


async def test_a_failing_command_is_answered_with_an_error(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        sink.fail = 10
        await discord_fake.interaction("status")
        await eventually(lambda: discord_fake.edits, "the edited response")
    assert discord_fake.edits[0]["content"] == "I hit an error while running that command."
