"""Discord through the whole stack: a fake Discord (REST + gateway websocket) on 127.0.0.1, a
connectors process with a Discord token pointed at it, and the stack's gateway answering.
A DM `/status` comes back as a reply message; a `/status` slash command is deferred and its
original response edited with the same answer. Markdown files sent with a message are saved
in the chat's workspace."""

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
            "AGENT_RUNTIME_WORKSPACE_ROOT": str(stack.data_dir / "workspaces"),  # as `up` sets
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


def test_markdown_attachments_are_saved_in_the_workspace(
    stack: Stack, discord: ThreadedFakeDiscord
) -> None:
    fake = discord.fake
    notes, more = b"# Notes\n\nThe pelican key rotates weekly.\n", b"# More\n"
    files = [("notes.md", notes, ""), ("More Notes.txt", more, "text/markdown; charset=utf-8"),
             ("photo.png", b"\x89PNG", "image/png")]  # fmt: skip
    many = discord.run(fake.message("/status", author_id="4444", dm=True, files=files))
    [reply] = poll(lambda: fake.posted, "the reply on Discord", deadline=60)
    assert reply["content"].startswith("Workspace `"), reply
    assert reply["content"].endswith("\n\nSaved 2 markdown attachments.")
    folder = f"workspaces/*/inbox/discord/84444/{many}-"
    [saved] = stack.data_dir.glob(folder + "notes.md")
    assert saved.read_bytes() == notes
    assert [p.read_bytes() for p in stack.data_dir.glob(folder + "More-Notes.txt")] == [more]
    assert not list(stack.data_dir.glob(folder + "photo.png"))
    # in the guild, a file alone (no mention) is saved and answered; chatter is not
    one = discord.run(fake.message("see attached", author_id="4444", files=files[:1]))
    replies = poll(lambda: fake.posted[1:], "the second reply", deadline=60)
    rel = f"inbox/discord/{fake.channel_id}/{one}-notes.md"
    assert replies[0]["content"] == f"Attachment saved: `{rel}`"
    assert len(list(stack.data_dir.glob(f"workspaces/*/{rel}"))) == 1
