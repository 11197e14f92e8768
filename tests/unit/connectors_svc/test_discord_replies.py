"""A slash command's long reply inside the connectors core (real store and ledger): part 1
replaces the deferred "thinking…" response, parts 2+ are the interaction's follow-ups, each
recorded in the ledger so a retry resumes after the last part sent; the interaction is kept in
the delivery row, so a replica restarted between the deferral and the reply still answers
there, and past the token's fifteen minutes the parts go to the channel instead."""

from __future__ import annotations

import time

import pytest

from connectors_svc.adapters.base import InboundMessage
from connectors_svc.clients import StoreLedger
from connectors_svc.deps import Delivery, HandleOutcome
from connectors_svc.split import split_text
from svckit import testing
from svckit.errors import NotFound
from svckit.pki import PkiPaths
from tests.fake_discord import FakeDiscord, Fault, wait_connected
from tests.unit.connectors_svc.discord_kit import adapter_for
from tests.unit.connectors_svc.kit import JournaledGateway, connectors

ESSAY = "\n\n".join(f"paragraph {i}: " + "x" * 1400 for i in range(3))
PARTS = split_text(ESSAY, 2000)
SLOW_DOWN = {"message": "You are being rate limited.", "retry_after": 0, "global": False}


class EssayGateway(JournaledGateway):
    """Answers `/essay` with three parts' worth of text."""

    async def handle(self, message: InboundMessage) -> HandleOutcome:
        if message.text == "/essay":
            return HandleOutcome(ESSAY)
        return await super().handle(message)


def _key(fake: FakeDiscord, iid: str) -> str:
    return f"reply:discord:{fake.channel_id}:{iid}"


async def _row(ledger: StoreLedger, key: str, status: str) -> Delivery | None:
    try:
        row = await ledger.get_by_key(key)
    except NotFound:  # not recorded yet
        return None
    return row if row.status == status else None


async def test_a_long_command_reply_goes_through_the_interaction(
    pki: PkiPaths, store_port: int, discord_fake: FakeDiscord
) -> None:
    assert len(PARTS) == 3
    # the first follow-up is turned away once (429): the retry resumes after part 1
    refused = Fault(429, SLOW_DOWN, {"Retry-After": "0"}, path_contains="/webhooks/")
    discord_fake.faults.append(Fault(**{**refused.__dict__, "method": "POST"}))
    async with (
        testing.client_channel(pki, store_port, "svc:connectors") as store,
        connectors(pki, store_port, [adapter_for(discord_fake)], gateway=EssayGateway()),
    ):
        await wait_connected(discord_fake)
        iid, token = await discord_fake.interaction("essay")
        key = _key(discord_fake, iid)
        row = await testing.eventually(lambda: _row(StoreLedger(store), key, "sent"), "the reply")

    assert [(e["content"], e["token"]) for e in discord_fake.edits] == [(PARTS[0], token)]
    assert [(f["content"], f["token"]) for f in discord_fake.followups] == [
        (PARTS[1], token),
        (PARTS[2], token),
    ]
    assert discord_fake.posted == []  # nothing went to the channel as an ordinary message
    assert [(p.index, p.status, p.text) for p in row.parts] == [
        (i, "sent", text) for i, text in enumerate(PARTS)
    ]
    assert row.parts[0].platform_message_id == discord_fake.originals[token]
    assert row.attempts == 4  # three parts, part 2 tried twice


@pytest.mark.parametrize("expired", [False, True], ids=["in-time", "token-expired"])
async def test_a_restart_between_deferral_and_reply_still_answers(
    pki: PkiPaths, store_port: int, discord_fake: FakeDiscord, expired: bool
) -> None:
    gateway = EssayGateway()
    # replica A defers the command and records the reply, but Discord turns the first part
    # away (429, retry after 3 s) and A stops before its retry is due
    late = {"Retry-After": "3"}
    discord_fake.faults.append(Fault(429, SLOW_DOWN, late, "/messages/@original", "PATCH"))
    async with testing.client_channel(pki, store_port, "svc:connectors") as store:
        ledger = StoreLedger(store)
        async with connectors(pki, store_port, [adapter_for(discord_fake)], gateway=gateway):
            await wait_connected(discord_fake)
            iid, token = await discord_fake.interaction("essay")
            key = _key(discord_fake, iid)
            await testing.eventually(lambda: _row(ledger, key, "pending"), "the turned-away try")
        assert discord_fake.edits == [] and discord_fake.posted == []

        # replica B knows nothing of the interaction but what the delivery row holds; when
        # `expired`, its clock is past the token's fifteen minutes
        offset = 15 * 60 if expired else 0
        b = adapter_for(discord_fake, clock=lambda: time.time() + offset)
        async with connectors(pki, store_port, [b], gateway=gateway, holder="replica-b") as c:
            row = await testing.eventually(lambda: _row(ledger, key, "sent"), "the reply", 30)
            status = (await c.status())["discord"]

    assert [p.status for p in row.parts] == ["sent"] * 3 and status.last_outbound_at_unix > 0
    if expired:  # the parts go to the channel as ordinary messages
        assert discord_fake.edits == [] and discord_fake.followups == []
        assert [(p["content"], p["channel_id"]) for p in discord_fake.posted] == [
            (text, discord_fake.channel_id) for text in PARTS
        ]
    else:
        assert [(e["content"], e["token"]) for e in discord_fake.edits] == [(PARTS[0], token)]
        assert [f["content"] for f in discord_fake.followups] == PARTS[1:]
        assert discord_fake.posted == []
