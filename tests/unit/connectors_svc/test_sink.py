"""The sink an adapter hands received messages to: the gateway's reply is recorded under
`reply:<connector>:<chat>:<message id>` and sent at once, and a redelivered message (the
gateway answers it from its journal) sends no second reply."""

from __future__ import annotations

from connectors_svc.adapters.base import InboundMessage, InboundSink
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.connectors_svc.kit import JournaledGateway, connectors, webhook
from tests.webhooks import FakeWebhook


async def test_a_redelivered_message_yields_one_reply(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    adapter = webhook("codex", fake)
    sinks: list[InboundSink] = []
    run = adapter.run

    async def capture(sink: InboundSink) -> None:
        sinks.append(sink)
        await run(sink)

    adapter.run = capture  # type: ignore[method-assign]
    async with connectors(pki, store_port, [adapter], gateway=JournaledGateway()) as c:
        [sink] = await testing.eventually(lambda: sinks, "the adapter to start")
        msg = InboundMessage("codex", "session-1", "hello", "m-1", "u-1")
        first, again = await sink.handle(msg), await sink.handle(msg)
        quiet = await sink.handle(InboundMessage("codex", "session-1", "quiet", "m-2", "u-1"))
        names = [cmd.name for cmd in await sink.commands()]
        status = (await c.status())["codex"]
    assert first == again == "you said: hello" and quiet == ""
    assert [(p.key, p.body["text"]) for p in fake.posts] == [
        ("reply:codex:session-1:m-1", "you said: hello")
    ]
    assert names == ["status", "pair"]
    assert status.last_inbound_at_unix > 0 and status.last_outbound_at_unix > 0
