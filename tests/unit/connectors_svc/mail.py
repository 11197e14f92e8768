"""What the e-mail adapter tests share: a real Dovecot (skipped with the reason when this
machine has none, unless AGENT_RUNTIME_TEST_REQUIRE_DOVECOT=1), a real store, an IMAP client
that plays the mail sender, and a sink that keeps the adapter's beats."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from agent_runtime.store.v1 import task_pb2
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from connectors_svc.adapters.base import AdapterState, Command, InboundMessage
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.imap import ImapAdapter
from connectors_svc.adapters.imap_session import ImapConfig
from connectors_svc.clients import StoreMail
from svckit import testing
from svckit.pki import PkiPaths
from tests import dovecot
from tests.stores import serving_store

SEEN = b"\\Seen"


def start_dovecot(*, idle: bool = True) -> dovecot.Dovecot:
    try:
        return dovecot.start_server(idle=idle)
    except dovecot.DovecotUnavailable as exc:
        if dovecot.required():
            raise
        pytest.skip(f"Dovecot unavailable: {exc}")


class Sink:
    """The core's side as the IMAP adapter sees it: e-mail is no chat turn, so only beats."""

    def __init__(self) -> None:
        self.beats: list[AdapterState] = []

    async def handle(self, message: InboundMessage) -> str:
        raise AssertionError("e-mail is not handed to the gateway")

    async def commands(self) -> Sequence[Command]:
        return []

    def beat(self, state: AdapterState) -> None:
        self.beats.append(state)

    def fence(self) -> Fence | None:
        return None


def config_for(box: dovecot.Dovecot, **kw: Any) -> ImapConfig:
    kw.setdefault("poll_seconds", 600.0)  # IDLE wakes the adapter; a poll would be too late
    return ImapConfig(
        box.host, box.username, box.password, port=box.port, tls_skip_verify=True, **kw
    )


def client(box: dovecot.Dovecot) -> Any:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    imap: Any = IMAPClient(box.host, box.port, ssl=True, ssl_context=context, timeout=10)
    imap.login(box.username, box.password)
    return imap


def email(subject: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ana Sender <ana@example.test>"
    msg["To"] = "alice@example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Sun, 06 Dec 2026 08:00:00 +0000"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def append(box: dovecot.Dovecot, msg: EmailMessage, folder: str = "INBOX") -> None:
    def run() -> None:
        imap = client(box)
        imap.append(folder, msg.as_bytes())
        imap.logout()

    await asyncio.to_thread(run)


async def flags(box: dovecot.Dovecot) -> dict[int, tuple[bytes, ...]]:
    def run() -> dict[int, tuple[bytes, ...]]:
        imap = client(box)
        imap.select_folder("INBOX", readonly=True)
        found = imap.get_flags(imap.search(["ALL"]))
        imap.logout()
        return {int(uid): tuple(f) for uid, f in found.items()}

    return await asyncio.to_thread(run)


async def all_seen(box: dovecot.Dovecot, count: int) -> bool:
    """Whether the inbox holds `count` messages, each marked seen."""
    found = await flags(box)
    return len(found) == count and all(SEEN in f for f in found.values())


@dataclass
class Stack:
    store: StoreMail
    tasks: TaskServiceStub
    root: Path

    async def all_tasks(self) -> list[task_pb2.Task]:
        reply = await self.tasks.ListTasks(trpc.ListTasksRequest(limit=100))
        return list(reply.items)

    def adapter(self, box: dovecot.Dovecot, store: Any = None, **kw: Any) -> ImapAdapter:
        return ImapAdapter(config_for(box, **kw), store or self.store, self.root)


@asynccontextmanager
async def serving(pki: PkiPaths, tmp: Path) -> AsyncIterator[Stack]:
    (tmp / "store").mkdir(exist_ok=True)
    async with serving_store(pki, tmp / "store") as ports:
        conn = testing.client_channel(pki, ports.grpc, "svc:connectors")
        admin = testing.client_channel(pki, ports.grpc, "admin:admin")
        try:
            yield Stack(StoreMail(conn), TaskServiceStub(admin), tmp / "workspaces")
        finally:
            await conn.close()
            await admin.close()


@asynccontextmanager
async def running(adapter: ImapAdapter, sink: Sink) -> AsyncIterator[asyncio.Task[None]]:
    """The adapter's run loop as the supervisor would hold it, cancelled at the end."""
    task = asyncio.create_task(adapter.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
