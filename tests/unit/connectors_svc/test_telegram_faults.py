"""The Telegram adapter under faults of the Bot API server: polling survives 5xx, 429 with
`retry_after` and a stalled socket; a failed send says whether anything can have reached the
chat (NotDelivered, with Telegram's retry_after), was refused for good (Rejected) or is
unknown (the timeout of a request that was written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import TimedOut

from connectors_svc.adapters.base import NotDelivered, Part, Rejected
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_telegram import TOKEN, Fault
from tests.unit.connectors_svc.telegram_kit import EchoSink, cursor_is, rig, supervised


async def test_polling_survives_5xx_429_and_a_stalled_socket(pki: PkiPaths, tmp_path: Path) -> None:
    async with rig(pki, tmp_path) as r:
        sink = EchoSink()
        r.fake.fault(
            "getUpdates",
            Fault(status=502),
            Fault(status=429, retry_after=1),
            Fault(stall=True),
            Fault(status=500),
        )
        r.fake.say(800, "are you there?")
        async with supervised(r.adapter(timeout_s=0.5, poll_seconds=1), sink) as supervisor:
            sent = await r.fake.wait_sent(1, within=20)
        assert [s.text for s in sent] == ["echo: are you there?"]
        assert sink.texts() == ["are you there?"]
        assert supervisor.restarts == 3  # 502, the stall (timed out), 500; the 429 was waited out
        assert any(not s.connected and "flood control" in s.detail for s in sink.states)


async def test_send_errors_tell_whether_anything_reached_the_chat(
    pki: PkiPaths, tmp_path: Path
) -> None:
    async with rig(pki, tmp_path) as r:
        r.fake.say(900, "hi")  # the chat exists for the fake once someone wrote in it
        adapter = r.adapter(timeout_s=0.5)
        part = Part("900", "the answer")
        r.fake.fault(
            "sendMessage",
            Fault(status=429, retry_after=7),
            Fault(status=503),
            Fault(stall=True),
        )
        with pytest.raises(NotDelivered) as flood:
            await adapter.send_part(part)
        assert flood.value.retry_after_s == 7
        with pytest.raises(NotDelivered):
            await adapter.send_part(part)
        with pytest.raises(TimedOut):  # written, then no answer: unknown, not NotDelivered
            await adapter.send_part(part)
        assert r.fake.sent == []
        with pytest.raises(Rejected, match=r"(?i)chat not found"):
            await adapter.send_part(Part("12345", "to nobody"))
        with pytest.raises(Rejected, match=r"(?i)too long"):
            await adapter.send_part(Part("900", "x" * 4097))
        with pytest.raises(Rejected):
            await adapter.send_part(Part("not-a-chat", "x"))
        message_id = await adapter.send_part(Part("900", "y" * 4096, reply_to_message_id="1"))
        assert [(s.message_id, s.reply_to, len(s.text)) for s in r.fake.sent] == [
            (int(message_id), 1, 4096)
        ]
        await adapter.aclose()


async def test_an_unreachable_server_is_not_delivered(pki: PkiPaths, tmp_path: Path) -> None:
    async with rig(pki, tmp_path) as r:
        port = testing.free_port()  # nobody listens there: connection refused
        adapter = TelegramAdapter(make_bot(TOKEN, f"http://127.0.0.1:{port}", 1), r.cursors)
        with pytest.raises(NotDelivered, match="unreachable"):
            await adapter.send_part(Part("900", "hello"))
        await adapter.aclose()


async def test_the_offset_is_kept_in_the_store(pki: PkiPaths, tmp_path: Path) -> None:
    async with rig(pki, tmp_path) as r:
        sink = EchoSink()
        r.fake.say(950, "one")
        last = r.fake.updates[-1]["update_id"]
        async with supervised(r.adapter(), sink):
            await r.fake.wait_sent(1)
            cursors: StoreCursors = r.cursors
            name = f"telegram:{TOKEN.split(':')[0]}:offset"
            await testing.eventually(
                lambda: cursor_is(cursors, name, str(last + 1)), "the offset in the store"
            )
