"""Chat logs under concurrent writers: several processes appending to one chat's log at once
leave one header and every entry whole (the file lock), in the §15.1 format."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from svckit import chatlog, chatmemory

WRITERS, EACH = 4, 40


def _write(root: str, writer: int) -> None:
    for i in range(EACH):
        text = f"writer {writer} line {i}\n" + "x" * 3000 + f"\nend {writer}/{i}"
        chatlog.append(Path(root), "Telegram", "Room 1", direction="inbound",
                       actor=f"u{writer}", text=text, unix=1_900_000_000 + i)  # fmt: skip


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    with ProcessPoolExecutor(WRITERS) as pool:
        list(pool.map(_write, [str(tmp_path)] * WRITERS, range(WRITERS)))
    log = (tmp_path / "logs/chats/telegram/room-1.md").read_text()
    assert log.count("# Chat Log") == 1 and log.startswith("# Chat Log\n\n- connector: `telegram`")
    entries = re.findall(
        r"## \S+ `INBOUND`\n- direction: `inbound`\n- actor: `u(\d)`\n\n"
        r"writer (\d) line (\d+)\nx{3000}\nend (\d)/(\d+)\n\n",
        log,
    )
    assert len(entries) == WRITERS * EACH
    assert all(a == w == e and n == m for a, w, n, e, m in entries)


def test_a_tool_entry_and_blank_text(tmp_path: Path) -> None:
    assert (
        chatlog.append(tmp_path, "x", "y", direction="outbound", actor="a", text=" ", unix=0)
        is None
    )
    text = chatlog.tool_text("fetch_url", "error", '{"url": "http://x"}', "boom\n  again", "")
    assert text == (
        'Tool call\n- tool: `fetch_url`\n- status: `error`\n- args: `{"url": "http://x"}`\n'
        "- error: boom again"
    )


def test_the_summary_is_deterministic(tmp_path: Path) -> None:
    for who, way, text in [
        ("u1", "inbound", "The codename is Falcon. Release manager is Dana, backup Bo"),
        ("agent-runtime", "outbound", "I'll track that."),
        ("u1", "inbound", "api depends on db and cache"),
        ("u1", "inbound", "what is left?"),
    ]:
        chatlog.append(tmp_path, "discord", "c1", direction=way, actor=who, text=text, unix=0)
    assert chatmemory.refresh(tmp_path, "ctx/1", "discord", "c1", 0)
    first = chatmemory.summary_path(tmp_path, "ctx/1").read_text()
    assert not chatmemory.refresh(tmp_path, "ctx/1", "discord", "c1", 60)  # not due yet
    assert "- turns: `3`\n- source_lines: `4`\n- refreshed_at: `1970-01-01T00:00:00Z`" in first
    assert first.endswith(
        "## Canonical Facts\n- Codename: Falcon\n- Release manager: Dana\n"
        "- Dependencies: api -> db and cache\n\n"
        "## Recent User Intents\n- The codename is Falcon. Release manager is Dana, backup Bo\n"
        "- api depends on db and cache\n- what is left?\n\n"
        "## Recent Assistant Actions\n- I'll track that.\n\n"
        "## Open Questions\n- what is left?\n"
    )


def test_a_summary_kept_up_as_the_chat_goes_on_equals_one_built_from_the_whole_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chatmemory, "TAIL_BYTES", 4096)  # the log outgrows the tail read
    for i in range(61):  # refreshed on turns 1, 7, … 61
        chatlog.append(tmp_path, "telegram", "42", direction="inbound", actor="u1",
                       text=f"step {i}: environment is stage-{i}?", unix=i)  # fmt: skip
        chatmemory.reply(tmp_path, "ctx", "telegram", "42", f"I'll do step {i}.", i)
    kept = chatmemory.summary_path(tmp_path, "ctx").read_text()
    assert "- turns: `61`\n- source_lines: `122`" in kept
    assert "- Environment: stage-60" in kept and "- I'll do step 60." in kept
    refreshed_at = kept.split("- refreshed_at: `")[1].split("`")[0]
    chatmemory.summary_path(tmp_path, "ctx").unlink()
    assert chatmemory.refresh(tmp_path, "ctx", "telegram", "42", 60)
    rebuilt = chatmemory.summary_path(tmp_path, "ctx").read_text()
    # the same summary, except when it was made
    assert rebuilt.replace("1970-01-01T00:01:00Z", refreshed_at) == kept
