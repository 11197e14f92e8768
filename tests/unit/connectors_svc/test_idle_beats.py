"""What GetConnectorStatus (so `GET /api/v1/connectors` and the heartbeat) says of a
connector over time. One that is up with nothing to do keeps beating, whatever the length of
its idleness, and a sent message is a beat too: a stack left idle for half an hour showed
codex, cline and gemini with their start-up time as last beat, 23 minutes old, even right
after a notice was sent. A bot still in its first long poll is starting, not degraded. The
clock is moved or the interval short; nothing sleeps."""

from __future__ import annotations

from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from svckit import testing
from svckit.pki import PkiPaths
from svckit.testing import eventually
from tests.fake_telegram import TOKEN, serving_telegram
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


async def test_a_bot_waiting_on_its_first_long_poll_is_starting_not_degraded(
    pki: PkiPaths, store_port: int
) -> None:
    # Its first poll cycle ends after up to poll_seconds (25 by default): until then the
    # connector, and so the heartbeat's overall, must not read degraded. Found when the soak's
    # connectors process restarted: `connector:telegram` read degraded for 25 seconds.
    async with (
        serving_telegram() as (fake, api_base),
        testing.client_channel(pki, store_port, identity="svc:connectors") as store,
    ):
        bot = TelegramAdapter(make_bot(TOKEN, api_base, 15.0), StoreCursors(store), 30)
        async with connectors(pki, store_port, [bot]) as c:
            await eventually(lambda: fake.calls.get("getUpdates"), "the first long poll")
            status = (await c.status())["telegram"]
    assert (status.state, status.message) == ("starting", "starting")
