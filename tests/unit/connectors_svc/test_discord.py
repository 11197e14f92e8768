"""The Discord adapter (discord.py) against a fake Discord speaking REST and the gateway
websocket on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from pydantic import SecretStr

from connectors_svc.adapters.base import (
    AdapterState,
    InboundMessage,
    NotDelivered,
    Part,
    Rejected,
)
from connectors_svc.adapters.discord import DiscordAdapter, DiscordConfig, build
from connectors_svc.adapters.discord_http import DEFAULT_GATEWAY_URL
from connectors_svc.config import ConnectorsSettings
from svckit.testing import eventually, free_port
from tests.fake_discord import DROP, FakeDiscord, Fault, wait_connected
from tests.fake_discord.payloads import bot_role_id
from tests.unit.connectors_svc.discord_kit import EchoSink, adapter_for, posted_texts, running


async def test_direct_message_is_handled_and_answered(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        mid = await discord_fake.message("pair", author_id="42", dm=True)
        await eventually(lambda: discord_fake.posted, "the reply")
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
    [reply] = discord_fake.posted
    assert reply["channel_id"] == "842" and reply["content"] == "echo: pair"
    assert reply["message_reference"]["message_id"] == int(mid)
    assert reply["allowed_mentions"]["parse"] == ["users"]
    # discord.py asked for JSON over a zlib-compressed stream, and identified with our intents
    assert discord_fake.gateway_queries[0] == {
        "v": "10",
        "encoding": "json",
        "compress": "zlib-stream",
    }
    assert discord_fake.identifies[0]["intents"] == 1 | 512 | 4096 | 32768
    assert discord_fake.heartbeats >= 1


async def test_guild_messages_need_a_mention_and_bots_are_ignored(
    discord_fake: FakeDiscord,
) -> None:
    async with running(discord_fake) as sink:
        await discord_fake.message("hello everyone")
        await discord_fake.message(
            f"<@{discord_fake.bot_id}> ping",
            bot_author=True,
            author_id="43",
            mentions=[discord_fake.bot_id],
        )
        mid = await discord_fake.message(
            f"<@{discord_fake.bot_id}>  /status now", mentions=[discord_fake.bot_id]
        )
        role = bot_role_id(discord_fake.guild_id)
        by_role = await discord_fake.message(f"<@&{role}> hi", role_mentions=[role])
        await eventually(lambda: len(discord_fake.posted) == 2, "the replies")
    message, role_message = sink.received
    assert (role_message.message_id, role_message.text) == (by_role, "hi")
    assert (message.message_id, message.text, message.mentioned) == (mid, "/status now", True)
    assert message.external_id == discord_fake.channel_id and not message.direct_message
    assert message.display_name == "guild #general"
    assert posted_texts(discord_fake) == ["echo: /status now", "echo: hi"]


async def test_slash_commands_are_registered_from_the_catalogue(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake):
        await eventually(lambda: "global" in discord_fake.commands, "the command sync")
    status, approve = discord_fake.commands["global"]
    assert status == {
        "name": "status",
        "description": "Show the queue and the heartbeat",
        "type": 1,
    }
    assert approve["name"] == "approve-action" and len(approve["description"]) == 100
    assert approve["options"] == [{"type": 3, "name": "id", "description": "id", "required": False}]


async def test_commands_are_registered_once_the_gateway_answers(discord_fake: FakeDiscord) -> None:
    adapter = adapter_for(discord_fake)
    sink = EchoSink(adapter, commands_fail=1)  # the gateway is down when the session starts
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(discord_fake)
        await eventually(lambda: "global" in discord_fake.commands, "the command sync", deadline=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
    assert [c["name"] for c in discord_fake.commands["global"]] == ["status", "approve-action"]


async def test_command_sync_disabled_registers_no_commands(
    discord_fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_COMMAND_SYNC_ENABLED", "false")
    settings = ConnectorsSettings(
        discord_token=SecretStr(discord_fake.token),
        discord_api_base=discord_fake.api_base,
        discord_gateway_url=discord_fake.gateway_url,
    )
    adapter = build(settings)
    sink = EchoSink(adapter)
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(discord_fake)
        # a command registered before is still answered; the session is fully up
        await discord_fake.interaction("status")
        await eventually(lambda: discord_fake.edits, "the answered command")
        await discord_fake.message("hi", dm=True)
        await eventually(lambda: discord_fake.posted, "the answered message")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
    assert discord_fake.commands == {}  # nothing registered, globally or in a guild
    assert [e["content"] for e in discord_fake.edits] == ["echo: /status"]


async def test_commands_go_to_the_configured_guilds(discord_fake: FakeDiscord) -> None:
    async with running(
        discord_fake, application_id=discord_fake.app_id, command_guild_ids=("11", "12")
    ):
        await eventually(lambda: {"11", "12"} <= discord_fake.commands.keys(), "the guild sync")
    assert "global" not in discord_fake.commands


async def test_a_dropped_socket_resumes_the_session(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        session = discord_fake.session
        assert session is not None
        await discord_fake.drop()
        # sent while the socket is down: replayed on RESUME
        during = await discord_fake.message("during the drop", dm=True)
        await eventually(lambda: discord_fake.resumes, "a RESUME")
        await eventually(lambda: discord_fake.connected, "the resumed session")
        after = await discord_fake.message("after the drop", dm=True)
        await eventually(lambda: len(discord_fake.posted) == 2, "both replies")
        await discord_fake.reconnect_op()
        await eventually(lambda: len(discord_fake.resumes) == 2, "a RESUME after op 7")
        await eventually(lambda: discord_fake.connected, "the resumed session")
        last = await discord_fake.message("after op 7", dm=True)
        await eventually(lambda: len(discord_fake.posted) == 3, "the third reply")
    assert len(discord_fake.identifies) == 1 and discord_fake.session is session
    assert discord_fake.resumes[0]["session_id"] == session.session_id
    assert [m.message_id for m in sink.received] == [during, after, last]
    assert any(s.detail == "resumed" for s in sink.states)


async def test_a_quiet_open_session_keeps_beating(discord_fake: FakeDiscord) -> None:
    # A guild where nobody speaks: the session stays open (discord.py keeps it alive), so
    # the connector's last beat must keep up with the clock, not stay at READY.
    async with running(discord_fake, beat_s=0.02) as sink:
        await eventually(lambda: len(_open_beats(sink)) >= 3, "beats of the quiet session")
    assert {s.detail for s in _open_beats(sink)} == {"ready"}
    assert sink.received == [] and discord_fake.posted == []


def _open_beats(sink: EchoSink) -> list[AdapterState]:
    return [s for s in sink.states if s.connected]


async def test_a_message_the_gateway_could_not_take_is_handed_over_again(
    discord_fake: FakeDiscord,
) -> None:
    async with running(discord_fake) as sink:
        sink.fail = 1
        await discord_fake.message("retry me", dm=True)
        await eventually(lambda: discord_fake.posted, "the reply", deadline=30)
    assert posted_texts(discord_fake) == ["echo: retry me"]


async def test_send_faults_map_to_the_ledger(discord_fake: FakeDiscord) -> None:
    adapter = adapter_for(discord_fake)
    try:
        assert await adapter.send_part(Part(discord_fake.channel_id, "first"))
        discord_fake.faults.append(
            Fault(
                429,
                {"message": "You are being rate limited.", "retry_after": 64.5, "global": False},
                {"Retry-After": "65", "Via": "1.1 google"},
            )
        )
        with pytest.raises(NotDelivered) as limited:
            await adapter.send_part(Part(discord_fake.channel_id, "limited"))
        assert limited.value.retry_after_s == 64.5
        discord_fake.faults.append(Fault(503, {"message": "upstream"}, {"Retry-After": "2"}))
        with pytest.raises(NotDelivered) as unavailable:
            await adapter.send_part(Part(discord_fake.channel_id, "unavailable"))
        assert unavailable.value.retry_after_s == 2
        # a short rate limit is waited out by discord.py: delivered once
        discord_fake.faults.append(
            Fault(
                429,
                {"message": "slow down", "retry_after": 0.01, "global": False},
                {"Via": "1.1 google"},
            )
        )
        assert await adapter.send_part(Part(discord_fake.channel_id, "later"))
        with pytest.raises(Rejected):
            await adapter.send_part(Part("404", "nobody"))
        with pytest.raises(Rejected):
            await adapter.send_part(Part(discord_fake.channel_id, "x" * 2001))
        with pytest.raises(Rejected):
            await adapter.send_part(Part("general", "not a snowflake"))
        assert posted_texts(discord_fake) == ["first", "later"]
    finally:
        await adapter.aclose()


async def test_a_send_cut_off_after_the_request_is_unknown(discord_fake: FakeDiscord) -> None:
    adapter = adapter_for(discord_fake)
    try:
        discord_fake.faults.append(Fault(DROP, {}))
        with pytest.raises(Exception) as cut:
            await adapter.send_part(Part(discord_fake.channel_id, "maybe"))
        assert not isinstance(cut.value, NotDelivered | Rejected)
        assert await adapter.send_part(Part(discord_fake.channel_id, "next"))  # the client recovers
    finally:
        await adapter.aclose()


async def test_a_repeated_send_with_one_key_posts_once(discord_fake: FakeDiscord) -> None:
    adapter = adapter_for(discord_fake)
    try:
        part = Part(discord_fake.channel_id, "once", idempotency_key="delivery-1:part-0")
        first = await adapter.send_part(part)
        assert await adapter.send_part(part) == first
    finally:
        await adapter.aclose()
    assert posted_texts(discord_fake) == ["once"]


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
