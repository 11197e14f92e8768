"""The Discord adapter inside the connectors core (real store, ledger, supervisor, status):
a DM's reply goes out through the ledger once, and Discord's faults (a dropped gateway
socket, 5xx on send) leave another adapter delivering while the session resumes and the
undelivered reply is retried."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors_svc.adapters.discord import DiscordAdapter, DiscordConfig
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_discord import FakeDiscord, Fault, wait_connected
from tests.unit.connectors_svc.kit import connectors, webhook
from tests.unit.connectors_svc.test_sink import JournaledGateway
from tests.webhooks import FakeWebhook


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def _adapter(fake: FakeDiscord) -> DiscordAdapter:
    return DiscordAdapter(DiscordConfig(fake.token, fake.api_base, fake.gateway_url))


async def test_discord_faults_leave_the_other_adapters_working(
    pki: PkiPaths, store_port: int, fake: FakeWebhook, discord_fake: FakeDiscord
) -> None:
    adapters = [_adapter(discord_fake), webhook("codex", fake)]
    async with connectors(pki, store_port, adapters, gateway=JournaledGateway()) as c:
        await wait_connected(discord_fake)
        await testing.eventually(lambda: discord_fake.commands, "the slash commands")
        first = await discord_fake.message("hello", dm=True)
        await testing.eventually(lambda: discord_fake.posted, "the first reply")

        # Discord breaks: the socket drops and sends answer 503
        discord_fake.faults.append(Fault(503, {"message": "upstream"}))
        await discord_fake.drop()
        out = await c.publish(
            connector="discord", external_id=discord_fake.channel_id, text="notice",
            idempotency_key="notice-1",
        )  # fmt: skip
        codex = await c.publish(
            connector="codex", external_id="s", text="still here", idempotency_key="k-1"
        )
        # the session resumes; the undelivered notice is retried from the ledger
        await testing.eventually(lambda: discord_fake.resumes, "a RESUME")
        second = await discord_fake.message("again", dm=True)
        await testing.eventually(lambda: len(discord_fake.posted) == 3, "the notice and reply")
        status = (await c.status())["discord"]

    assert out.status == "pending" and codex.status == "sent" and fake.texts() == ["still here"]
    replies = {p["content"]: p for p in discord_fake.posted}
    assert replies.keys() == {"you said: hello", "notice", "you said: again"}
    assert replies["you said: hello"]["message_reference"]["message_id"] == int(first)
    assert replies["you said: again"]["message_reference"]["message_id"] == int(second)
    assert (status.state, status.bot_username, status.leader) == ("healthy", "bot", True)
    assert status.last_inbound_at_unix > 0 and status.last_outbound_at_unix > 0
    assert len(discord_fake.identifies) == 1
