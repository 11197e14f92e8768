"""The gateway's chat-log writes under load: many messages at once share thread hops, each
chat's entries stay whole and in order, and a chat whose log cannot be written holds up
neither the others nor the message."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from gateway_svc.chatlogs import ChatLogs


async def test_concurrent_exchanges_land_whole_and_in_order(tmp_path: Path) -> None:
    logs = ChatLogs(tmp_path, lambda: 1_900_000_000.0)
    (tmp_path / "ws-broken").write_text("a file where the workspace folder should be")

    async def chat(n: int) -> None:
        for i in range(10):
            await logs.exchange(
                "ws1", "telegram", f"chat-{n}", f"u{n}", f"/status {i}", "", f"ok {i}"
            )
            await logs.inbound("ws-broken", "telegram", f"chat-{n}", f"u{n}", "lost", "")

    await asyncio.gather(*(chat(n) for n in range(8)))
    for n in range(8):
        text = (tmp_path / "ws1/logs/chats/telegram" / f"chat-{n}.md").read_text()
        assert text.count("# Chat Log") == 1
        said = re.findall(r"- actor: `(\S+)`\n\n(.+)\n", text)
        assert said == [
            pair
            for i in range(10)
            for pair in ((f"u{n}", f"/status {i}"), ("agent-runtime", f"ok {i}"))
        ]
