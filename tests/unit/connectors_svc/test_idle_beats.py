"""A connector that is up but has nothing to do keeps beating: `GetConnectorStatus` (and so
`GET /api/v1/connectors`) shows a recent `last_beat_at_unix` after any length of idleness,
and a successful send is a beat too. Found by leaving a stack idle for half an hour: the
codex, cline and gemini connectors showed the start-up time as their last beat, 23 minutes
old, even right after a notice had been sent. The clock is moved; nothing sleeps."""

from __future__ import annotations

from svckit.pki import PkiPaths
from svckit.testing import eventually
from tests.fakes import FrozenClock
from tests.unit.connectors_svc.kit import Running, connectors, webhook
from tests.webhooks import FakeWebhook

START = 1_800_000_000


async def test_an_idle_publish_only_connector_keeps_beating(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    clock = FrozenClock(START)
    adapter = webhook("codex", fake, beat_s=0.02)
    async with connectors(pki, store_port, [adapter], clock=lambda: clock.ms / 1000) as c:
        await eventually(lambda: _beat_at(c, START), "the first beat")
        clock.advance(30 * 60)  # half an hour with nothing to send
        await eventually(lambda: _beat_at(c, START + 30 * 60), "a beat after idling")
        status = (await c.status())["codex"]
    assert (status.state, status.message) == ("healthy", "ready to post notices")
    assert fake.posts == []


async def test_a_sent_notice_is_a_beat(pki: PkiPaths, store_port: int, fake: FakeWebhook) -> None:
    clock = FrozenClock(START)
    adapter = webhook("codex", fake, beat_s=3600)  # no periodic beat within the test
    async with connectors(pki, store_port, [adapter], clock=lambda: clock.ms / 1000) as c:
        await eventually(lambda: _beat_at(c, START), "the connector up")
        clock.advance(600)
        out = await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="b")
        status = (await c.status())["codex"]
    assert out.status == "sent"
    assert (status.last_outbound_at_unix, status.last_beat_at_unix) == (START + 600, START + 600)


async def _beat_at(c: Running, unix: int) -> bool:
    return bool((await c.status())["codex"].last_beat_at_unix == unix)
