"""Received updates on their way to the sink, and what the store must hold before Telegram
may forget them.

Telegram acknowledges by offset: every update below it is confirmed and never sent again. The
offset moves past every update taken at once (the adapter long-polls for the next ones while
these are handled), so each taken update stays `open` (kept in the store with the offset,
`telegram_position`) until its `sink.handle` returned. Chats are handled side by side, each
chat's messages in order; a message whose handling failed stops its chat there (it and the
chat's later messages stay open, and are handed over again when the session starts anew,
with any open ones of other chats, which the gateway's journal recognises by message id)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import Update

from connectors_svc.adapters.base import InboundMessage, InboundSink
from connectors_svc.adapters.telegram_inbound import inbound
from connectors_svc.adapters.telegram_position import Json, Position

log = logging.getLogger(__name__)


class Intake:
    def __init__(self, sink: InboundSink, username: str, bot_id: int, offset: int) -> None:
        self._sink, self._username, self._bot_id = sink, username, bot_id
        self._next = offset  # the first update id not taken yet
        self._open: dict[int, Json] = {}  # taken, not handled (yet, or failed), as stored
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._tails: dict[str, asyncio.Task[None]] = {}  # each chat's last taken update
        self._failed: dict[int, Exception] = {}
        self._failed_chats: set[str] = set()
        self._ended = asyncio.Condition()  # notified whenever a handling ends

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def open_count(self) -> int:
        return len(self._open)

    @property
    def ack(self) -> int:
        """The offset to acknowledge: past every update taken (the open ones are stored)."""
        return self._next

    @property
    def failure(self) -> Exception | None:
        return self._failed[min(self._failed)] if self._failed else None

    def position(self) -> Position:
        """What the store must hold before `ack` is sent to Telegram."""
        return Position(self._next, tuple(self._open[i] for i in sorted(self._open)))

    def take(self, updates: Sequence[Update]) -> None:
        """Starts handling the updates not taken yet."""
        for update in sorted(updates, key=lambda u: u.update_id):
            if update.update_id < self._next:
                continue
            self._next = update.update_id + 1
            message = inbound(update, self._username, self._bot_id)
            if message is None:
                continue
            chat = message.external_id
            before = self._tails.get(chat)
            task = asyncio.create_task(self._handle(update.update_id, message, before))
            self._open[update.update_id] = update.to_dict()
            self._pending[update.update_id] = self._tails[chat] = task

    def resume(self, stored: Sequence[Update], offset: int) -> None:
        """Hands over again the updates an earlier session stored open, below `offset`."""
        self._next = min([self._next, *(u.update_id for u in stored)])
        self.take(stored)
        self._next = max(self._next, offset)

    async def ended(self) -> None:
        """Waits until a handling ends."""
        async with self._ended:
            await self._ended.wait()

    async def settle(self, within: float) -> None:
        """Waits until nothing is being handled, or `within` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._pending:
                    await self.ended()

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
                return  # an earlier message of this chat failed: this one stays open too
            await self._sink.handle(message)
            del self._open[update_id]
        except Exception as exc:
            log.warning("telegram update %s not handled: %s", update_id, exc)
            self._failed[update_id] = exc
            self._failed_chats.add(message.external_id)
        finally:
            self._pending.pop(update_id, None)
            async with self._ended:
                self._ended.notify_all()
