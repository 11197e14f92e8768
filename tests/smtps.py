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
    `release` is set (the message is in the server's hands, the sender does not know)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.hold = False
        self.release = threading.Event()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.hold:
            await asyncio.to_thread(self.release.wait, 60)
        return "250 Message accepted for delivery"


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
