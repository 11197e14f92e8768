"""The Discord adapter inside the connectors core (real store, ledger, supervisor, status):
a DM's reply goes out through the ledger once, and Discord's faults (a dropped gateway
socket, 5xx on send) leave another adapter delivering while the session resumes and the
undelivered reply is retried."""

from __future__ import annotations

from connectors_svc.adapters.base import Adapter
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_discord import FakeDiscord, Fault, wait_connected
from tests.fake_telegram import TOKEN, serving_telegram
from tests.unit.connectors_svc.discord_kit import adapter_for
from tests.unit.connectors_svc.kit import JournaledGateway, connectors, webhook
from tests.webhooks import FakeWebhook


async def test_discord_faults_leave_the_other_adapters_working(
    pki: PkiPaths, store_port: int, fake: FakeWebhook, discord_fake: FakeDiscord
) -> None:
    adapters: list[Adapter] = [adapter_for(discord_fake), webhook("codex", fake)]
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


async def test_an_invalidated_session_comes_back_while_telegram_keeps_answering(
    pki: PkiPaths, store_port: int, discord_fake: FakeDiscord
) -> None:
    async with (
        serving_telegram() as (telegram, api_base),
        testing.client_channel(pki, store_port, "svc:connectors") as store,
    ):
        bot = TelegramAdapter(make_bot(TOKEN, api_base, 5), StoreCursors(store), 5)
        adapters: list[Adapter] = [adapter_for(discord_fake), bot]
        async with connectors(pki, store_port, adapters, gateway=JournaledGateway()):
            await wait_connected(discord_fake)
            first = discord_fake.session
            assert first is not None
            # Discord invalidates the session (op 9, d=false) and refuses sockets for a while
            discord_fake.gateway_down = True
            await discord_fake.invalid_session(resumable=False)
            await testing.eventually(
                lambda: len(discord_fake.gateway_queries) >= 2, "a refused reconnection"
            )
            telegram.say(321, "hello")
            [sent] = await telegram.wait_sent(1)
            still_down = not discord_fake.connected
            discord_fake.gateway_down = False
            await testing.eventually(
                lambda: len(discord_fake.identifies) == 2 and discord_fake.connected,
                "a new Discord session",
                deadline=30,
            )
            await discord_fake.message("back?", dm=True)
            await testing.eventually(lambda: discord_fake.posted, "the Discord reply")

    assert still_down and sent.text == "you said: hello"
    assert [p["content"] for p in discord_fake.posted] == ["you said: back?"]
    # (discord.py tries a RESUME without a session after a failed connect; refused, it
    # identifies) the invalidated session is never resumed
    assert all(r["session_id"] != first.session_id for r in discord_fake.resumes)
