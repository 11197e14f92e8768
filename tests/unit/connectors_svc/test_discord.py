"""The Discord adapter (discord.py) against a fake Discord speaking REST and the gateway
websocket on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from connectors_svc.adapters.base import (
    AdapterState,
    Command,
    InboundMessage,
    NotDelivered,
    Part,
    Rejected,
)
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.discord import DiscordAdapter, DiscordConfig, build
from connectors_svc.adapters.discord_http import DEFAULT_GATEWAY_URL
from connectors_svc.config import ConnectorsSettings
from svckit.testing import eventually, free_port
from tests.fake_discord import DROP, FakeDiscord, Fault, wait_connected
from tests.fake_discord_payloads import bot_role_id

COMMANDS = [
    Command("status", "Show the queue and the heartbeat"),
    Command("approve-action", "Approve a pending action " + "x" * 200, "id"),
]


@dataclass
class EchoSink:
    """A small real InboundSink: answers `echo: <text>` and delivers the reply through the
    adapter, as the core does through its ledger."""

    adapter: DiscordAdapter
    received: list[InboundMessage] = field(default_factory=list)
    states: list[AdapterState] = field(default_factory=list)
    fail: int = 0
    commands_fail: int = 0
    deliver: bool = True  # False: the reply is left to the outbox (delivered later)

    async def handle(self, message: InboundMessage) -> str:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("gateway unavailable")
        self.received.append(message)
        reply = f"echo: {message.text}"
        if self.deliver:
            await self.adapter.send_part(
                Part(message.external_id, reply, message.message_id, idempotency_key=reply)
            )
        return reply

    async def commands(self) -> Sequence[Command]:
        if self.commands_fail:
            self.commands_fail -= 1
            raise ConnectionError("gateway unavailable")
        return COMMANDS

    def beat(self, state: AdapterState) -> None:
        self.states.append(state)

    def fence(self) -> Fence | None:
        return None


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, **config: object) -> AsyncIterator[EchoSink]:
    adapter = DiscordAdapter(
        DiscordConfig(fake.token, fake.api_base, fake.gateway_url, **config)  # type: ignore[arg-type]
    )
    sink = EchoSink(adapter)
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(fake)
        yield sink
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def posted_texts(fake: FakeDiscord) -> list[str]:
    return [p["content"] for p in fake.posted]


async def test_direct_message_is_handled_and_answered(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        mid = await fake.message("pair", author_id="42", dm=True)
        await eventually(lambda: fake.posted, "the reply")
    [message] = sink.received
    assert message == InboundMessage(
        connector="discord",
        external_id="842",
        text="pair",
        message_id=mid,
        from_user_id="42",
        from_display_name="User42",
        display_name="DM user42",
        direct_message=True,
        mentioned=False,
    )
    [reply] = fake.posted
    assert reply["channel_id"] == "842" and reply["content"] == "echo: pair"
    assert reply["message_reference"]["message_id"] == int(mid)
    assert reply["allowed_mentions"]["parse"] == ["users"]
    # discord.py asked for JSON over a zlib-compressed stream, and identified with our intents
    assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert fake.identifies[0]["intents"] == 1 | 512 | 4096 | 32768
    assert fake.heartbeats >= 1


async def test_guild_messages_need_a_mention_and_bots_are_ignored(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        await fake.message("hello everyone")
        await fake.message(
            f"<@{fake.bot_id}> ping", bot_author=True, author_id="43", mentions=[fake.bot_id]
        )
        mid = await fake.message(f"<@{fake.bot_id}>  /status now", mentions=[fake.bot_id])
        role = bot_role_id(fake.guild_id)
        by_role = await fake.message(f"<@&{role}> hi", role_mentions=[role])
        await eventually(lambda: len(fake.posted) == 2, "the replies")
    message, role_message = sink.received
    assert (role_message.message_id, role_message.text) == (by_role, "hi")
    assert (message.message_id, message.text, message.mentioned) == (mid, "/status now", True)
    assert message.external_id == fake.channel_id and not message.direct_message
    assert message.display_name == "guild #general"
    assert posted_texts(fake) == ["echo: /status now", "echo: hi"]


async def test_slash_commands_are_registered_from_the_catalogue(fake: FakeDiscord) -> None:
    async with running(fake):
        await eventually(lambda: "global" in fake.commands, "the command sync")
    status, approve = fake.commands["global"]
    assert status == {
        "name": "status",
        "description": "Show the queue and the heartbeat",
        "type": 1,
    }
    assert approve["name"] == "approve-action" and len(approve["description"]) == 100
    assert approve["options"] == [{"type": 3, "name": "id", "description": "id", "required": False}]


async def test_commands_are_registered_once_the_gateway_answers(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(DiscordConfig(fake.token, fake.api_base, fake.gateway_url))
    sink = EchoSink(adapter, commands_fail=1)  # the gateway is down when the session starts
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(fake)
        await eventually(lambda: "global" in fake.commands, "the command sync", deadline=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
    assert [c["name"] for c in fake.commands["global"]] == ["status", "approve-action"]


async def test_commands_go_to_the_configured_guilds(fake: FakeDiscord) -> None:
    async with running(fake, application_id=fake.app_id, command_guild_ids=("11", "12")):
        await eventually(lambda: {"11", "12"} <= fake.commands.keys(), "the guild sync")
    assert "global" not in fake.commands


async def test_an_interaction_is_deferred_then_the_original_is_edited(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        iid, token = await fake.interaction("approve-action", {"id": "a1 "})
        await eventually(lambda: fake.edits, "the edited response")
    [callback] = fake.callbacks
    assert (callback["interaction_id"], callback["type"]) == (iid, 5)
    [message] = sink.received
    assert (message.text, message.message_id, message.from_user_id) == (
        "/approve-action a1",
        iid,
        "42",
    )
    assert fake.edits == [{"content": "echo: /approve-action a1", "token": token}]
    assert fake.posted == [] and fake.followups == []  # one answer, in the interaction


async def test_a_reply_delivered_later_is_not_shown_twice(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        sink.deliver = False
        iid, token = await fake.interaction("status")
        await eventually(lambda: fake.edits, "the adapter's own answer")
        # the outbox delivers the same reply later (one part), then a long reply's 2nd part
        again = await sink.adapter.send_part(Part(fake.channel_id, "echo: /status", iid))
        more = await sink.adapter.send_part(Part(fake.channel_id, "part two", iid))
    assert fake.edits == [{"content": "echo: /status", "token": token}]
    assert [f["content"] for f in fake.followups] == ["part two"]
    assert again != more and fake.posted == []


async def test_a_failing_command_is_answered_with_an_error(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        sink.fail = 10
        await fake.interaction("status")
        await eventually(lambda: fake.edits, "the edited response")
    assert fake.edits[0]["content"] == "I hit an error while running that command."


async def test_a_dropped_socket_resumes_the_session(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        session = fake.session
        assert session is not None
        await fake.drop()
        # sent while the socket is down: replayed on RESUME
        during = await fake.message("during the drop", dm=True)
        await eventually(lambda: fake.resumes, "a RESUME")
        await eventually(lambda: fake.connected, "the resumed session")
        after = await fake.message("after the drop", dm=True)
        await eventually(lambda: len(fake.posted) == 2, "both replies")
        await fake.reconnect_op()
        await eventually(lambda: len(fake.resumes) == 2, "a RESUME after op 7")
        await eventually(lambda: fake.connected, "the resumed session")
        last = await fake.message("after op 7", dm=True)
        await eventually(lambda: len(fake.posted) == 3, "the third reply")
    assert len(fake.identifies) == 1 and fake.session is session
    assert fake.resumes[0]["session_id"] == session.session_id
    assert [m.message_id for m in sink.received] == [during, after, last]
    assert any(s.detail == "resumed" for s in sink.states)


async def test_a_quiet_open_session_keeps_beating(fake: FakeDiscord) -> None:
    # A guild where nobody speaks: the session stays open (discord.py keeps it alive), so
    # the connector's last beat must keep up with the clock, not stay at READY.
    async with running(fake, beat_s=0.02) as sink:
        await eventually(lambda: len(_open_beats(sink)) >= 3, "beats of the quiet session")
    assert {s.detail for s in _open_beats(sink)} == {"ready"}
    assert sink.received == [] and fake.posted == []


def _open_beats(sink: EchoSink) -> list[AdapterState]:
    return [s for s in sink.states if s.connected]


async def test_a_message_the_gateway_could_not_take_is_handed_over_again(
    fake: FakeDiscord,
) -> None:
    async with running(fake) as sink:
        sink.fail = 1
        await fake.message("retry me", dm=True)
        await eventually(lambda: fake.posted, "the reply", deadline=30)
    assert posted_texts(fake) == ["echo: retry me"]


async def test_send_faults_map_to_the_ledger(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(DiscordConfig(fake.token, fake.api_base, fake.gateway_url))
    try:
        assert await adapter.send_part(Part(fake.channel_id, "first"))
        fake.faults.append(
            Fault(
                429,
                {"message": "You are being rate limited.", "retry_after": 64.5, "global": False},
                {"Retry-After": "65", "Via": "1.1 google"},
            )
        )
        with pytest.raises(NotDelivered) as limited:
            await adapter.send_part(Part(fake.channel_id, "limited"))
        assert limited.value.retry_after_s == 64.5
        fake.faults.append(Fault(503, {"message": "upstream"}, {"Retry-After": "2"}))
        with pytest.raises(NotDelivered) as unavailable:
            await adapter.send_part(Part(fake.channel_id, "unavailable"))
        assert unavailable.value.retry_after_s == 2
        # a short rate limit is waited out by discord.py: delivered once
        fake.faults.append(
            Fault(
                429,
                {"message": "slow down", "retry_after": 0.01, "global": False},
                {"Via": "1.1 google"},
            )
        )
        assert await adapter.send_part(Part(fake.channel_id, "later"))
        with pytest.raises(Rejected):
            await adapter.send_part(Part("404", "nobody"))
        with pytest.raises(Rejected):
            await adapter.send_part(Part(fake.channel_id, "x" * 2001))
        with pytest.raises(Rejected):
            await adapter.send_part(Part("general", "not a snowflake"))
        assert posted_texts(fake) == ["first", "later"]
    finally:
        await adapter.aclose()


async def test_a_send_cut_off_after_the_request_is_unknown(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(DiscordConfig(fake.token, fake.api_base, fake.gateway_url))
    try:
        fake.faults.append(Fault(DROP, {}))
        with pytest.raises(Exception) as cut:
            await adapter.send_part(Part(fake.channel_id, "maybe"))
        assert not isinstance(cut.value, NotDelivered | Rejected)
        assert await adapter.send_part(Part(fake.channel_id, "next"))  # the client recovers
    finally:
        await adapter.aclose()


async def test_a_repeated_send_with_one_key_posts_once(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(DiscordConfig(fake.token, fake.api_base, fake.gateway_url))
    try:
        part = Part(fake.channel_id, "once", idempotency_key="delivery-1:part-0")
        first = await adapter.send_part(part)
        assert await adapter.send_part(part) == first
    finally:
        await adapter.aclose()
    assert posted_texts(fake) == ["once"]


def test_build_reads_the_discord_settings() -> None:
    settings = ConnectorsSettings(
        discord_token=SecretStr("t0k"),
        discord_api_base="http://127.0.0.1:1/api/v10",
        discord_command_guild_ids=" 11, 12,11,, ",
        discord_application_id=" 9000 ",
    )
    adapter = build(settings)
    assert (adapter.name, adapter.part_limit, adapter.receives) == ("discord", 2000, True)
    assert adapter.config == DiscordConfig(
        "t0k", "http://127.0.0.1:1/api/v10", DEFAULT_GATEWAY_URL, "9000", ("11", "12")
    )


async def test_connection_refused_is_not_delivered() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    adapter = DiscordAdapter(DiscordConfig("t", f"{base}/api/v10", f"{base}/gateway"))
    try:
        with pytest.raises(NotDelivered):
            await adapter.send_part(Part("5001", "hello"))
    finally:
        await adapter.aclose()
