"""Chat logs written by the gateway (REFERENCE.md §15.1) beside a real store and orchestrator:
after a conversation the chat's log holds each message and reply in order, and the context's
rolling summary (§2.6) is there for grounding, built from what was said."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway_svc.conversation import STILL_WORKING
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000) as c:
        yield c


async def test_a_conversation_is_logged_and_summarised(chat: Chat, tmp_path: Path) -> None:
    said = [
        "The codename is Bluebird.",
        "Our incident is INC-4412, notify #ops-war-room",
        "when is the freeze?",
    ]
    for i, text in enumerate(said):
        await chat.say(text, mid=f"m{i}", chat="Team Room", user="u-7")
    assert (await chat.say("/task rotate the keys", mid="t", chat="Team Room", user="u-7")).reply
    await chat.say("when is the freeze?", mid="m2", chat="Team Room", user="u-7")  # redelivered
    ws = await chat.workspace_of("Team Room")
    log = (tmp_path / "workspaces" / ws / "logs/chats/telegram/team-room.md").read_text()
    assert log.startswith(
        "# Chat Log\n\n- connector: `telegram`\n- external_id: `team-room`\n"
        "- display_name: `Chat`\n\n"
    )
    entries = re.findall(
        r"^## (\S+) `(\w+)`\n- direction: `(\w+)`\n- actor: `([^`]+)`\n\n", log, re.M
    )
    assert [(e[1], e[3]) for e in entries] == [
        *[("INBOUND", "u-7"), ("OUTBOUND", "agent-runtime")] * 4
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e[0]) for e in entries)
    assert "\n\nThe codename is Bluebird.\n\n## " in log
    assert "\n\necho: when is the freeze?\n\n" in log
    assert "\n\nTask queued: `" in log  # a command's reply too; the redelivery logs nothing
    summaries = list((tmp_path / "workspaces" / ws / "memory/contexts").glob("*.md"))
    [summary] = [p.read_text() for p in summaries]
    assert summary.startswith("# Context Memory Summary\n\n- context_id: `")
    assert "- connector: `telegram`\n- external_id: `Team Room`\n- turns: `1`\n" in summary
    assert "## Canonical Facts\n- Codename: Bluebird\n" in summary
    assert "## Recent User Intents\n- The codename is Bluebird.\n" in summary

    # refreshed every 6 turns (§2.6): the latest value of a fact wins
    for i in range(5):
        await chat.say(f"note {i}: the codename is Kestrel", mid=f"n{i}", chat="Team Room")
    rolled = summaries[0].read_text()
    assert int(re.findall(r"- turns: `(\d+)`", rolled)[0]) >= 7
    assert "- Codename: Kestrel\n" in rolled
    assert "- Incident ID: INC-4412\n- Notify channel: #ops-war-room\n" in rolled
    assert "## Open Questions\n- when is the freeze?\n" in rolled


async def test_a_late_reply_is_logged_after_still_working(pki: PkiPaths, tmp_path: Path) -> None:
    async with chat_stack(pki, tmp_path, turn_wait_ms=200) as chat:
        gate = chat.turns.hold("slow one")
        first = await chat.say("slow one", mid="s1", chat="late")
        assert first.pending
        gate.set()
        log = (
            tmp_path
            / "workspaces"
            / await chat.workspace_of("late")
            / "logs/chats/telegram/late.md"
        )

        def replied() -> str:
            text = log.read_text()
            return text if "echo: slow one" in text else ""

        text = await testing.eventually(replied, "the late reply in the chat log")
    said = re.findall(
        r"`(INBOUND|OUTBOUND)`\n- direction: `\w+`\n- actor: `[^`]+`\n\n([^\n]+)", text
    )
    assert said == [
        ("INBOUND", "slow one"),
        ("OUTBOUND", STILL_WORKING),
        ("OUTBOUND", "echo: slow one"),
    ]
