"""The Discord gateway session when Discord invalidates it (op 9 INVALID_SESSION): with
d=true the bot resumes it and gets what was sent meanwhile; with d=false it identifies anew
(a new session); either way it keeps answering."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from svckit.testing import eventually
from tests.fake_discord import FakeDiscord
from tests.unit.connectors_svc.discord_kit import posted_texts, running


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


async def test_a_resumable_invalid_session_resumes(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        session = fake.session
        assert session is not None
        await fake.invalid_session(resumable=True)
        # sent before the bot is back: replayed on RESUME
        during = await fake.message("during op 9", dm=True)
        await eventually(lambda: fake.resumes and fake.connected, "the resumed session")
        after = await fake.message("after op 9", dm=True)
        await eventually(lambda: len(fake.posted) == 2, "both replies")
    assert len(fake.identifies) == 1 and fake.session is session
    assert [r["session_id"] for r in fake.resumes] == [session.session_id]
    assert [m.message_id for m in sink.received] == [during, after]
    assert posted_texts(fake) == ["echo: during op 9", "echo: after op 9"]


async def test_an_invalid_session_identifies_anew(fake: FakeDiscord) -> None:
    async with running(fake) as sink:
        first = fake.session
        assert first is not None
        await fake.message("before", dm=True)
        await eventually(lambda: fake.posted, "the first reply")
        await fake.invalid_session(resumable=False)
        await eventually(lambda: len(fake.identifies) == 2 and fake.connected, "a new session")
        await fake.message("after", dm=True)
        await fake.interaction("status")
        await eventually(lambda: len(fake.posted) == 2 and fake.edits, "the replies")
    second = fake.session
    assert second is not None and second.session_id != first.session_id
    assert fake.resumes == []  # the invalidated session is not resumed
    assert posted_texts(fake) == ["echo: before", "echo: after"]
    assert [e["content"] for e in fake.edits] == ["echo: /status"]
    assert [m.text for m in sink.received] == ["before", "after", "/status"]
