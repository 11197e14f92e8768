"""The Discord gateway session when Discord invalidates it (op 9 INVALID_SESSION): with
d=true the bot resumes it and gets what was sent meanwhile; with d=false it identifies anew
(a new session); either way it keeps answering."""

from __future__ import annotations

from svckit.testing import eventually
from tests.fake_discord import FakeDiscord
from tests.unit.connectors_svc.discord_kit import posted_texts, running


async def test_a_resumable_invalid_session_resumes(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        session = discord_fake.session
        assert session is not None
        await discord_fake.invalid_session(resumable=True)
        # sent before the bot is back: replayed on RESUME
        during = await discord_fake.message("during op 9", dm=True)
        await eventually(
            lambda: discord_fake.resumes and discord_fake.connected, "the resumed session"
        )
        after = await discord_fake.message("after op 9", dm=True)
        await eventually(lambda: len(discord_fake.posted) == 2, "both replies")
    assert len(discord_fake.identifies) == 1 and discord_fake.session is session
    assert [r["session_id"] for r in discord_fake.resumes] == [session.session_id]
    assert [m.message_id for m in sink.received] == [during, after]
    assert posted_texts(discord_fake) == ["echo: during op 9", "echo: after op 9"]


async def test_an_invalid_session_identifies_anew(discord_fake: FakeDiscord) -> None:
    async with running(discord_fake) as sink:
        first = discord_fake.session
        assert first is not None
        await discord_fake.message("before", dm=True)
        await eventually(lambda: discord_fake.posted, "the first reply")
        await discord_fake.invalid_session(resumable=False)
        await eventually(
            lambda: len(discord_fake.identifies) == 2 and discord_fake.connected, "a new session"
        )
        await discord_fake.message("after", dm=True)
        await discord_fake.interaction("status")
        await eventually(
            lambda: len(discord_fake.posted) == 2 and discord_fake.edits, "the replies"
        )
    second = discord_fake.session
    assert second is not None and second.session_id != first.session_id
    assert discord_fake.resumes == []  # the invalidated session is not resumed
    assert posted_texts(discord_fake) == ["echo: before", "echo: after"]
    assert [e["content"] for e in discord_fake.edits] == ["echo: /status"]
    assert [m.text for m in sink.received] == ["before", "after", "/status"]
