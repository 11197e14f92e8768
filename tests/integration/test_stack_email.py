"""E-mail through the whole stack (`agent-runtime up`): an e-mail put in a real Dovecot mailbox
is filed in its workspace with one review task and marked seen, and a reply published to its
context reaches the sender through a real SMTP server (aiosmtpd) once, threaded; a 451 is
retried until it goes through, a 550 fails for good."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from agent_runtime.connectors.v1 import service_pb2 as cpb
from agent_runtime.connectors.v1.service_pb2_grpc import ConnectorsServiceStub
from agent_runtime.store.v1 import task_pb2
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit.channels import open_channel
from svckit.testing import poll
from tests.dovecot import Dovecot
from tests.integration.conftest import Stack, start_stack, stop_stack
from tests.smtps import Mailbox, serving_mailbox
from tests.unit.connectors_svc.mail import client, email, start_dovecot

MAILBOX = "alice:INBOX"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    box = start_dovecot()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with serving_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def mail_stack(
    tmp_path_factory: pytest.TempPathFactory, dovecot: Dovecot, smtp: Mailbox
) -> Iterator[Stack]:
    env = {
        "AGENT_RUNTIME_IMAP_HOST": dovecot.host,
        "AGENT_RUNTIME_IMAP_PORT": str(dovecot.port),
        "AGENT_RUNTIME_IMAP_USERNAME": dovecot.username,
        "AGENT_RUNTIME_IMAP_PASSWORD": dovecot.password,
        "AGENT_RUNTIME_IMAP_TLS_SKIP_VERIFY": "true",
        "AGENT_RUNTIME_SMTP_HOST": "127.0.0.1",
        "AGENT_RUNTIME_SMTP_PORT": str(smtp.port),
        "AGENT_RUNTIME_SMTP_FROM": "Agent Runtime <agent@example.test>",
        "AGENT_RUNTIME_DELIVERY_RETRY_BASE_SECONDS": "0.2",
        "AGENT_RUNTIME_DELIVERY_RETRY_CAP_SECONDS": "0.5",
    }
    stack = start_stack(tmp_path_factory.mktemp("email-stack"), env=env)
    try:
        yield stack
    finally:
        stop_stack(stack.proc)


def _tasks(stack: Stack) -> list[task_pb2.Task]:
    async def run() -> list[task_pb2.Task]:
        async with open_channel(stack.grpc("store"), stack.pki, stack.admin) as channel:
            reply = await TaskServiceStub(channel).ListTasks(
                trpc.ListTasksRequest(kind="general", limit=100), timeout=20
            )
            return list(reply.items)

    return asyncio.run(run())


def _publish(stack: Stack, key: str, text: str, reply_to: str = "") -> cpb.PublishResponse:
    async def run() -> cpb.PublishResponse:
        async with open_channel(stack.grpc("connectors"), stack.pki, stack.admin) as channel:
            request = cpb.PublishRequest(
                connector="imap", external_id=MAILBOX, text=text, idempotency_key=key,
                reply_to_message_id=reply_to,
            )  # fmt: skip
            reply: cpb.PublishResponse = await ConnectorsServiceStub(channel).Publish(
                request, timeout=30
            )
            return reply

    return asyncio.run(run())


def _status(stack: Stack) -> cpb.GetConnectorStatusResponse:
    async def run() -> cpb.GetConnectorStatusResponse:
        async with open_channel(stack.grpc("connectors"), stack.pki, stack.admin) as channel:
            request = cpb.GetConnectorStatusRequest(name="imap")
            reply: cpb.GetConnectorStatusResponse = await ConnectorsServiceStub(
                channel
            ).GetConnectorStatus(request, timeout=20)
            return reply

    return asyncio.run(run())


def _seen(box: Dovecot) -> bool:
    imap = client(box)
    imap.select_folder("INBOX", readonly=True)
    unseen = imap.search(["UNSEEN"])
    imap.logout()
    return not unseen


def test_an_email_is_filed_with_one_task_and_a_reply_reaches_its_sender_once(
    mail_stack: Stack, dovecot: Dovecot, smtp: Mailbox
) -> None:
    imap = client(dovecot)
    msg = email("Server room", "The AC is broken.", "<ac@example.test>")
    imap.append("INBOX", msg.as_bytes())
    imap.append("INBOX", msg.as_bytes())  # the same e-mail delivered twice
    imap.logout()
    tasks = poll(lambda: _tasks(mail_stack), "the review task", deadline=60)
    poll(lambda: _seen(dovecot), "both copies marked seen", deadline=30)
    assert [t.title for t in _tasks(mail_stack)] == ["Review email: Server room"]
    files = list((mail_stack.data_dir / "workspaces").glob("*/inbox/imap/INBOX/*.md"))
    assert [
        f.relative_to(mail_stack.data_dir / "workspaces" / tasks[0].workspace_id) for f in files
    ] == [Path("inbox/imap/INBOX/1-Server-room.md")]

    # the review task runs (no model here: from the notes) and tells the sender nothing
    poll(lambda: _tasks(mail_stack)[0].status == "succeeded", "the review task run", deadline=60)
    sent = _publish(mail_stack, "reply-ac", "A technician is on the way.", "<ac@example.test>")
    again = _publish(mail_stack, "reply-ac", "A technician is on the way.", "<ac@example.test>")
    assert (sent.status, again.status, again.duplicate) == ("sent", "sent", True)
    [(sender, rcpts, raw)] = smtp.messages
    assert (sender, rcpts) == ("agent@example.test", ["ana@example.test"])
    reply = message_from_bytes(raw)
    assert (reply["Subject"], reply["In-Reply-To"]) == ("Re: Server room", "<ac@example.test>")
    assert list(sent.platform_message_ids) == [reply["Message-ID"]]
    [status] = _status(mail_stack).connectors
    assert (status.name, status.enabled, status.leader, status.can_publish) == (
        "imap", True, True, True
    )  # fmt: skip
    assert status.message.startswith("poll cycle ok"), status


def test_a_451_is_retried_until_sent_and_a_550_fails(
    mail_stack: Stack, dovecot: Dovecot, smtp: Mailbox
) -> None:
    poll(lambda: _tasks(mail_stack), "an e-mail context to reply to", deadline=60)
    before = len(smtp.messages)
    smtp.answer = "451 4.3.0 try again later"
    first = _publish(mail_stack, "reply-451", "Later.")
    assert first.status == "pending", first
    smtp.answer = "250 OK"
    poll(lambda: len(smtp.messages) == before + 1, "the retried reply delivered", deadline=30)
    smtp.answer = "550 5.1.1 no such user"
    failed = _publish(mail_stack, "reply-550", "Never.")
    assert failed.status == "failed" and "550" in failed.error_message, failed
    smtp.answer = "250 OK"
    assert len(smtp.messages) == before + 1
