"""What the Discord adapter tests share: the catalogue, a small real InboundSink that answers
through the adapter (as the core does through its ledger), and the adapter running against
the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from connectors_svc.adapters.base import AdapterState, Command, InboundMessage, Part
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.discord import DiscordAdapter, DiscordConfig
from tests.fake_discord import FakeDiscord, wait_connected

COMMANDS = [
    Command("status", "Show the queue and the heartbeat"),
    Command("approve-action", "Approve a pending action " + "x" * 200, "id"),
]


@dataclass
class EchoSink:
    """A small real InboundSink: answers `echo: <text>` and delivers the reply through the
    adapter, as the core does through its ledger."""

    adapter: DiscordAdapter
    received: list[InboundMessage] = field(default_factory=list)
    states: list[AdapterState] = field(default_factory=list)
    fail: int = 0
    commands_fail: int = 0
    deliver: bool = True  # False: the reply is left to the outbox (delivered later)
    reply: str | None = None  # the reply instead of `echo: <text>`

    async def handle(self, message: InboundMessage) -> str:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("gateway unavailable")
        self.received.append(message)
        reply = f"echo: {message.text}" if self.reply is None else self.reply
        if self.deliver and reply:
            part = Part(
                message.external_id,
                reply,
                message.message_id,
                idempotency_key=reply,
                reply_route=message.reply_route,
            )
            await self.adapter.send_part(part)
        return reply

    async def commands(self) -> Sequence[Command]:
        if self.commands_fail:
            self.commands_fail -= 1
            raise ConnectionError("gateway unavailable")
        return COMMANDS

    def beat(self, state: AdapterState) -> None:
        self.states.append(state)

    def fence(self) -> Fence | None:
        return None


def adapter_for(
    fake: FakeDiscord, *, clock: Callable[[], float] = time.time, **config: object
) -> DiscordAdapter:
    """The adapter pointed at `fake` (its token, REST base and gateway), `config` on top."""
    return DiscordAdapter(
        DiscordConfig(fake.token, fake.api_base, fake.gateway_url, **config),  # type: ignore[arg-type]
        clock,
    )


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, **config: object) -> AsyncIterator[EchoSink]:
    adapter = adapter_for(fake, **config)  # type: ignore[arg-type]
    sink = EchoSink(adapter)
    task = asyncio.create_task(adapter.run(sink))
    try:
        await wait_connected(fake)
        yield sink
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await adapter.aclose()


def posted_texts(fake: FakeDiscord) -> list[str]:
    return [p["content"] for p in fake.posted]
