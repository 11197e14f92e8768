"""Discord through the whole stack: a fake Discord (REST + gateway websocket) on 127.0.0.1, a
connectors process with a Discord token pointed at it, and the stack's gateway answering.
A DM `/status` comes back as a reply message; a `/status` slash command is deferred and its
original response edited with the same answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from svckit.testing import poll, service_process
from tests.fake_discord import ThreadedFakeDiscord
from tests.integration.conftest import Stack


@pytest.fixture
def discord(stack: Stack, tmp_path: Path) -> Iterator[ThreadedFakeDiscord]:
    with ThreadedFakeDiscord() as server:
        fake = server.fake
        env = {
            "AGENT_RUNTIME_STORE_ADDR": stack.grpc("store"),
            "AGENT_RUNTIME_GATEWAY_ADDR": stack.grpc("gateway"),
            "AGENT_RUNTIME_DISCORD_TOKEN": fake.token,
            "AGENT_RUNTIME_DISCORD_API_BASE": fake.api_base,
            "AGENT_RUNTIME_DISCORD_GATEWAY_URL": fake.gateway_url,
        }
        with service_process("connectors_svc", stack.pki, tmp_path, env):
            poll(lambda: fake.connected, "the connectors' Discord session", deadline=60)
            yield server


def test_a_direct_message_round_trip(discord: ThreadedFakeDiscord) -> None:
    fake = discord.fake
    mid = discord.run(fake.message("/status", author_id="4242", dm=True))
    [reply] = poll(lambda: fake.posted, "the reply on Discord", deadline=60)
    assert reply["channel_id"] == "84242"
    assert reply["content"].startswith("Workspace `"), reply
    assert reply["message_reference"]["message_id"] == int(mid)
    # the slash commands came from the gateway's catalogue
    names = {c["name"] for c in fake.commands["global"]}
    assert {"status", "task", "approve-action"} <= names


def test_a_slash_command_is_deferred_then_answered(discord: ThreadedFakeDiscord) -> None:
    fake = discord.fake
    iid, token = discord.run(fake.interaction("status", user_id="4343"))
    [edit] = poll(lambda: fake.edits, "the edited interaction response", deadline=60)
    assert [(c["interaction_id"], c["type"]) for c in fake.callbacks] == [(iid, 5)]
    assert edit["token"] == token and edit["content"].startswith("Workspace `"), edit
    assert fake.posted == []
