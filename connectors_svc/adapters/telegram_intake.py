"""Received updates on their way to the sink, and the offset that may be acknowledged.

Telegram acknowledges by offset: every update below it is confirmed and never sent again. So
the offset moves only past an update whose `sink.handle` returned and past every update
before it. Chats are handled side by side, each chat's messages in order; a message whose
handling failed stops its chat there and keeps the offset at it (it is received again, with
the later updates of other chats that were handled meanwhile, which the gateway's journal
recognises by message id). New updates are taken while others are still being handled, so
a slow turn in one chat does not hold the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update

from connectors_svc.adapters.base import InboundMessage, InboundSink
from connectors_svc.adapters.telegram_inbound import inbound

log = logging.getLogger(__name__)


class Intake:
    def __init__(self, sink: InboundSink, username: str, bot_id: int, offset: int) -> None:
        self._sink, self._username, self._bot_id = sink, username, bot_id
        self._next = offset  # the first update id not taken yet
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._tails: dict[str, asyncio.Task[None]] = {}  # each chat's last taken update
        self._failed: dict[int, Exception] = {}
        self._failed_chats: set[str] = set()
        self._changed = asyncio.Event()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def ack(self) -> int:
        """The offset to acknowledge: the first update not handled, else the next one."""
        return min([*self._pending, *self._failed], default=self._next)

    @property
    def failure(self) -> Exception | None:
        return self._failed[min(self._failed)] if self._failed else None

    def take(self, updates: Sequence[Update]) -> None:
        """Starts handling the updates not taken yet (none once one has failed)."""
        for update in sorted(updates, key=lambda u: u.update_id):
            if update.update_id < self._next or self._failed:
                continue
            self._next = update.update_id + 1
            message = inbound(update, self._username, self._bot_id)
            if message is None:
                continue
            chat = message.external_id
            before = self._tails.get(chat)
            task = asyncio.create_task(self._handle(update.update_id, message, before))
            self._pending[update.update_id] = self._tails[chat] = task

    async def settle(self, within: float) -> None:
        """Waits until nothing is being handled, or `within` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._pending:
                    self._changed.clear()
                    await self._changed.wait()

    async def cancel(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(
        self, update_id: int, message: InboundMessage, before: asyncio.Task[None] | None
    ) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])
            if message.external_id in self._failed_chats:
                return  # an earlier message of this chat failed: the offset stays before it
            await self._sink.handle(message)
        except Exception as exc:
            log.warning("telegram update %s not handled: %s", update_id, exc)
            self._failed[update_id] = exc
            self._failed_chats.add(message.external_id)
        finally:
            self._pending.pop(update_id, None)
            self._changed.set()
