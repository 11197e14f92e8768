"""Replies to an e-mail context, by SMTP to a real aiosmtpd, addressed from what a real store
recorded when the e-mail was ingested."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from connectors_svc.adapters.base import NotDelivered, Part, Rejected
from connectors_svc.adapters.mail_ports import Ingestion
from connectors_svc.adapters.smtp import Mailer, MailerConfig, UncertainDelivery
from svckit import testing
from svckit.mail import SmtpServer
from svckit.pki import PkiPaths
from tests.smtps import Mailbox, serving_mailbox
from tests.unit.connectors_svc.mail import Stack, serving

MAILBOX = "alice:INBOX"


@pytest.fixture
def box() -> Iterator[Mailbox]:
    with serving_mailbox() as mailbox:
        yield mailbox


@pytest.fixture
async def stack(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Stack]:
    async with serving(pki, tmp_path) as s:
        for uid, (sender, subject, mid) in enumerate(
            [
                ("ana@example.test", "Quarterly numbers", "<q3@example.test>"),
                ("bo@example.test", "Re: lunch", "<lunch@example.test>"),
            ],
            1,
        ):
            await s.store.mark_ingested(
                Ingestion(
                    f"{MAILBOX}#7".lower(), MAILBOX.lower(), uid, mid, "ws", "ctx",
                    f"inbox/imap/INBOX/{uid}-x.md", sender, subject,
                )
            )  # fmt: skip
        yield s


def mailer(box: Mailbox, stack: Stack) -> Mailer:
    server = SmtpServer("127.0.0.1", box.port, timeout_s=10)
    return Mailer(MailerConfig(server, "Agent Runtime <agent@example.test>"), stack.store)


async def test_a_reply_reaches_the_sender_of_the_email_it_answers(
    box: Mailbox, stack: Stack
) -> None:
    part = Part(MAILBOX, "Numbers look fine.", "<q3@example.test>", idempotency_key="d1:0")
    sent_id = await mailer(box, stack).send(part)
    [(sender, rcpts, raw)] = box.messages
    assert (sender, rcpts) == ("agent@example.test", ["ana@example.test"])
    mail = message_from_bytes(raw)
    assert mail["Subject"] == "Re: Quarterly numbers"
    assert mail["In-Reply-To"] == mail["References"] == "<q3@example.test>"
    assert mail["Message-ID"] == sent_id
    assert mail.get_payload().strip() == "Numbers look fine."


async def test_without_a_message_id_the_mailboxs_latest_sender_gets_the_reply(
    box: Mailbox, stack: Stack
) -> None:
    await mailer(box, stack).send(Part(MAILBOX, "See you at noon."))
    [(_, rcpts, raw)] = box.messages
    assert rcpts == ["bo@example.test"]
    assert message_from_bytes(raw)["Subject"] == "Re: lunch"  # no second "Re:"


async def test_a_451_is_not_delivered_and_a_retry_sends_it_once(box: Mailbox, stack: Stack) -> None:
    send = mailer(box, stack).send
    part = Part(MAILBOX, "Try again.", "<q3@example.test>", idempotency_key="d2:0")
    box.answer = "451 4.3.0 try again later"
    with pytest.raises(NotDelivered):
        await send(part)
    assert box.messages == []
    box.answer = "250 OK"
    await send(part)
    assert len(box.messages) == 1


async def test_a_550_is_rejected_for_good(box: Mailbox, stack: Stack) -> None:
    box.answer = "550 5.1.1 mailbox unavailable"
    with pytest.raises(Rejected):
        await mailer(box, stack).send(Part(MAILBOX, "Hello?", "<q3@example.test>"))
    assert box.messages == []


async def test_a_connection_dropped_after_data_is_unknown_not_retryable(
    box: Mailbox, stack: Stack
) -> None:
    box.drop = True
    with pytest.raises(UncertainDelivery):
        await mailer(box, stack).send(Part(MAILBOX, "Did it arrive?", "<q3@example.test>"))
    assert len(box.messages) == 1  # the server has it; the sender could not know


async def test_a_refused_connection_is_not_delivered(stack: Stack) -> None:
    server = SmtpServer("127.0.0.1", testing.free_port(), timeout_s=5)
    sender = Mailer(MailerConfig(server, "agent@example.test"), stack.store)
    with pytest.raises(NotDelivered):
        await sender.send(Part(MAILBOX, "Anyone?", "<q3@example.test>"))


async def test_a_context_with_no_email_is_rejected(box: Mailbox, stack: Stack) -> None:
    with pytest.raises(Rejected):
        await mailer(box, stack).send(Part("bob:INBOX", "Hello"))
    assert box.messages == []
