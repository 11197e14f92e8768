"""What the Telegram adapter tests share: a real store for the offset, the fake Bot API
server, a small real InboundSink that answers each message through the adapter (as the core
does) and a stand-in supervisor that starts a session again when it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors_svc.adapters.base import AdapterState, Command, InboundMessage, Part
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_telegram import TOKEN, FakeTelegram, serving_telegram
from tests.stores import serving_store

CATALOGUE = [
    Command("status", "Show what the runtime is doing"),
    Command("admin-channel", "Make this chat an admin channel", "enable"),
    Command("approve-action", "x" * 300, "<id>"),
    Command("Task!", ""),
]


@dataclass
class EchoSink:
    """Hands every message to "the gateway" (a list) and replies `echo: <text>` through the
    adapter; raises once for each text in `fail_once`; a text in `hold` waits for its event
    (a slow agent turn)."""

    adapter: TelegramAdapter | None = None
    fail_once: set[str] = field(default_factory=set)
    hold: dict[str, asyncio.Event] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    handled: list[InboundMessage] = field(default_factory=list)
    states: list[AdapterState] = field(default_factory=list)

    async def handle(self, message: InboundMessage) -> str:
        self.started.append(message.text)
        if message.text in self.hold:
            await self.hold[message.text].wait()
        if message.text in self.fail_once:
            self.fail_once.discard(message.text)
            raise RuntimeError(f"the gateway is down for {message.text!r}")
        self.handled.append(message)
        reply = f"echo: {message.text}"
        if self.adapter is not None:
            part = Part(message.external_id, reply, reply_to_message_id=message.message_id)
            await self.adapter.send_part(part)
        return reply

    async def commands(self) -> Sequence[Command]:
        return CATALOGUE

    def beat(self, state: AdapterState) -> None:
        self.states.append(state)

    def texts(self) -> list[str]:
        return [m.text for m in self.handled]


@dataclass
class Rig:
    fake: FakeTelegram
    api_base: str
    cursors: StoreCursors

    def adapter(self, timeout_s: float = 15.0, poll_seconds: int = 5) -> TelegramAdapter:
        return TelegramAdapter(
            make_bot(TOKEN, self.api_base, timeout_s), self.cursors, poll_seconds
        )


@contextlib.asynccontextmanager
async def rig(pki: PkiPaths, data_dir: Path) -> AsyncIterator[Rig]:
    async with (
        serving_store(pki, data_dir) as store,
        serving_telegram() as (fake, api_base),
        testing.client_channel(pki, store.grpc, identity="svc:connectors") as channel,
    ):
        yield Rig(fake, api_base, StoreCursors(channel))


@contextlib.asynccontextmanager
async def supervised(adapter: TelegramAdapter, sink: EchoSink) -> AsyncIterator[list[Exception]]:
    """Runs `adapter` until the block ends, starting each ended session again (the core's
    supervisor does this with a real backoff); yields the errors that ended sessions."""
    ended: list[Exception] = []

    async def loop() -> None:
        while True:
            try:
                await adapter.run(sink)
            except Exception as exc:
                ended.append(exc)
            await asyncio.sleep(0.05)  # the backoff between sessions

    sink.adapter = adapter
    task = asyncio.create_task(loop())
    try:
        yield ended
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
