"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) that keeps every message it accepts;
it can hold a message's answer to place a crash between the send and its acknowledgement."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from svckit import testing


class Mailbox:
    """aiosmtpd's handler: keeps every message; with `hold`, answers DATA only once
    `release` is set (the message is in the server's hands, the sender does not know).
    `answer` is what DATA is answered (a 4xx or 5xx keeps nothing); `drop` closes the
    connection instead of answering (the message kept, the sender never told)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.hold = False
        self.release = threading.Event()
        self.port = 0
        self.answer = "250 Message accepted for delivery"
        self.drop = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.answer.startswith("2"):
            return self.answer
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.hold:
            await asyncio.to_thread(self.release.wait, 60)
        if self.drop:
            server.transport.close()
        return self.answer


@contextmanager
def serving_mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = testing.free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        box.release.set()
        controller.stop()
