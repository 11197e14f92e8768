"""The Telegram adapter inside the connectors core (supervisor, leader lease, sink, delivery
ledger in a real store): a message in, its reply out through the ledger; a redelivered
message yields one reply; the status shows the bot."""

from __future__ import annotations

from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_telegram import BOT, TOKEN, serving_telegram
from tests.unit.connectors_svc.kit import JournaledGateway, connectors


async def test_round_trip_and_a_redelivered_message_gets_one_reply(
    pki: PkiPaths, store_port: int
) -> None:
    async with (
        serving_telegram() as (fake, api_base),
        testing.client_channel(pki, store_port, "svc:connectors") as store,
    ):
        adapter = TelegramAdapter(make_bot(TOKEN, api_base, 5), StoreCursors(store), 5)
        async with connectors(pki, store_port, [adapter], gateway=JournaledGateway()) as c:
            asked = fake.say(321, "hello")
            [reply] = await fake.wait_sent(1)
            fake.redeliver(asked)
            then = fake.say(321, "and then")
            await fake.wait_sent(2)
            status = (await c.status())["telegram"]
        assert [(s.text, s.reply_to) for s in fake.sent] == [
            ("you said: hello", asked["message_id"]),
            ("you said: and then", then["message_id"]),
        ]
        assert reply.chat_id == 321
        assert status.bot_username == BOT["username"] and status.state == "healthy"
        assert status.last_inbound_at_unix > 0 and status.last_outbound_at_unix > 0
