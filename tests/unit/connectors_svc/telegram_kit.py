"""What the Telegram adapter tests share: a real store for the offset, the fake Bot API
server, a small real InboundSink that answers each message through the adapter (as the core
does) and a stand-in supervisor that starts a session again when it ends."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors_svc.adapters.base import AdapterState, Command, InboundMessage, Part
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.backoff import Backoff
from connectors_svc.clients import StoreCursors
from connectors_svc.status import Board
from connectors_svc.supervisor import Supervisor, SupervisorPolicy
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
    lease: Fence | None = None  # the leader lease its puts are fenced by

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

    def fence(self) -> Fence | None:
        return self.lease

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


async def cursor_is(cursors: StoreCursors, name: str, value: str) -> bool:
    """Whether the store holds `value` under the cursor `name`."""
    return await cursors.get(name) == value


@contextlib.asynccontextmanager
async def rig(pki: PkiPaths, data_dir: Path) -> AsyncIterator[Rig]:
    async with (
        serving_store(pki, data_dir) as store,
        serving_telegram() as (fake, api_base),
        testing.client_channel(pki, store.grpc, identity="svc:connectors") as channel,
    ):
        yield Rig(fake, api_base, StoreCursors(channel))


@contextlib.asynccontextmanager
async def supervised(adapter: TelegramAdapter, sink: EchoSink) -> AsyncIterator[Supervisor]:
    """Runs `adapter` under the core's supervisor until the block ends, each ended session
    started again after a short backoff; yields the supervisor (`restarts` counts them)."""
    board = Board(time.time)
    board.add(adapter.name, adapter.receives)
    policy = SupervisorPolicy(restart=Backoff(0.05, 0.05), breaker_failures=1_000)
    supervisor = Supervisor(adapter, sink, board, policy, None, time.monotonic, random.Random(0))
    sink.adapter = adapter
    task = asyncio.create_task(supervisor.run())
    try:
        yield supervisor
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()
