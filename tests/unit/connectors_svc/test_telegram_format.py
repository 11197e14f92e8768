"""Markdown replies through the connectors core (sink, delivery ledger in a real store) and
the Telegram adapter to the fake Bot API server, which checks `parse_mode=HTML` as Telegram
does: what the chat shows, and what the ledger records."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from agent_runtime.store.v1 import delivery_pb2 as dpb
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from connectors_svc.adapters.base import Command, InboundMessage
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from connectors_svc.deps import HandleOutcome
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_telegram import TOKEN, FakeTelegram, Fault, serving_telegram
from tests.unit.connectors_svc.kit import connectors

CHAT = 321
CODE = [f"    if a{i} < b and c > {i} & 1:  # line {i}" for i in range(180)]
LONG = "\n\n".join(
    [
        "Here is **the plan** & the code:",
        "```python\n" + "\n".join(CODE) + "\n```",
        "*Done*, see [the docs](https://example.com/a?b=1&c=2).",
    ]
)
PRE = re.compile(r'<pre><code class="language-python">(.*?)</code></pre>', re.S)


class MarkdownGateway:
    """Answers each message with the markdown `replies` holds for its text."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies

    async def handle(self, message: InboundMessage) -> HandleOutcome:
        return HandleOutcome(self.replies[message.text])

    async def commands(self) -> Sequence[Command]:
        return []


async def _converse(
    pki: PkiPaths, store_port: int, fake: FakeTelegram, api_base: str, reply: str, parts: int
) -> dpb.Delivery:
    """A user's message in, `reply` out in `parts` messages; the delivery as recorded."""
    async with testing.client_channel(pki, store_port, "svc:connectors") as store:
        adapter = TelegramAdapter(make_bot(TOKEN, api_base, 5), StoreCursors(store), 5)
        gateway = MarkdownGateway({"question": reply})
        async with connectors(pki, store_port, [adapter], gateway=gateway):
            fake.say(CHAT, "question")
            await fake.wait_sent(parts)
            done: dpb.Delivery = await testing.eventually(
                lambda: _sent(pki, store_port), "the delivery"
            )
            return done


async def _sent(pki: PkiPaths, port: int) -> dpb.Delivery | None:
    async with testing.client_channel(pki, port, "admin:admin") as ch:
        listed: drpc.ListDeliveriesResponse = await DeliveryServiceStub(ch).ListDeliveries(
            drpc.ListDeliveriesRequest(connector="telegram"), timeout=10
        )
    assert len(listed.items) <= 1
    return next((d for d in listed.items if d.status == "sent"), None)


async def test_a_markdown_reply_arrives_as_telegram_html(pki: PkiPaths, store_port: int) -> None:
    reply = (
        "**Status**: `ok` & <fine>\n\n- one\n- [docs](https://example.com/a?b=1&c=2)\n\n"
        "```sh\nls -l > out\n```"
    )
    async with serving_telegram() as (fake, api_base):
        delivery = await _converse(pki, store_port, fake, api_base, reply, 1)
    [sent] = fake.sent
    assert sent.parse_mode == "HTML"
    assert sent.text == (
        "<b>Status</b>: <code>ok</code> &amp; &lt;fine&gt;\n\n"
        '• one\n• <a href="https://example.com/a?b=1&amp;c=2">docs</a>\n\n'
        '<pre><code class="language-sh">ls -l &gt; out</code></pre>'
    )
    assert [(p.text, p.status) for p in delivery.parts] == [(reply, "sent")]


async def test_a_long_reply_with_a_code_block_splits_between_whole_blocks(
    pki: PkiPaths, store_port: int
) -> None:
    async with serving_telegram() as (fake, api_base):
        delivery = await _converse(pki, store_port, fake, api_base, LONG, 3)
    assert len(fake.sent) >= 3 and all(s.parse_mode == "HTML" for s in fake.sent)
    assert all(len(s.text) <= 4096 for s in fake.sent)
    code = [html.unescape(c) for s in fake.sent for c in PRE.findall(s.text)]
    assert "\n".join(code).split("\n") == CODE  # every line once, in order, inside a <pre>
    assert fake.sent[0].text.startswith("Here is <b>the plan</b> &amp; the code:")
    assert fake.sent[-1].text.endswith('<a href="https://example.com/a?b=1&amp;c=2">the docs</a>.')
    assert [(p.index, p.status) for p in delivery.parts] == [
        (i, "sent") for i in range(len(fake.sent))
    ]
    assert [p.platform_message_id for p in delivery.parts] == [str(s.message_id) for s in fake.sent]


async def test_a_part_telegram_cannot_parse_arrives_once_as_plain_text(
    pki: PkiPaths, store_port: int
) -> None:
    refused = 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0'
    async with serving_telegram() as (fake, api_base):
        fake.fault("sendMessage", Fault(400, description=refused))
        delivery = await _converse(pki, store_port, fake, api_base, LONG, 3)
    first, *rest = fake.sent
    assert (first.parse_mode, first.text) == (None, delivery.parts[0].text)
    assert first.text.startswith("Here is **the plan** & the code:")
    assert rest and all(s.parse_mode == "HTML" for s in rest)
    assert fake.calls["sendMessage"] == len(fake.sent) + 1  # the refused one, then each once
    assert delivery.status == "sent" and delivery.attempts == len(fake.sent)
    assert "sent as plain text" in delivery.parts[0].last_error
    assert "can't parse entities" in delivery.parts[0].last_error.lower()
    assert [p.last_error for p in delivery.parts[1:]] == [""] * len(rest)
    assert [p.platform_message_id for p in delivery.parts] == [str(s.message_id) for s in fake.sent]
