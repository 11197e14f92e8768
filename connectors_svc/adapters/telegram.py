"""The Telegram adapter on python-telegram-bot (REFERENCE.md §8.2): long polling with
`getUpdates`, the command menu with `setMyCommands`, one part per `sendMessage` (markdown
sent as HTML: `telegram_send`; split where its HTML fits: `telegram_split`).

Received updates are handled side by side (`telegram_intake.Intake`) while the adapter
long-polls for the next ones at once: before each `getUpdates` that acknowledges something
new, the store holds the offset and every update below it whose `InboundSink.handle` has not
returned (`telegram_position`, under `telegram:<bot id>:offset`), so nothing acknowledged
is lost and a restart neither replays what was handled nor skips what was not. When a
message fails, the session ends once the others are done (the supervisor starts it again
after a backoff) and the stored open updates are handed over again. While the stored record
is large (many slow turns), no more updates are taken until some finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter

from connectors_svc.adapters.base import AdapterState, InboundSink, Part, Sent
from connectors_svc.adapters.cursors import Cursors, Fence
from connectors_svc.adapters.telegram_errors import retry_after_seconds
from connectors_svc.adapters.telegram_inbound import NAME
from connectors_svc.adapters.telegram_intake import Intake
from connectors_svc.adapters.telegram_menu import menu
from connectors_svc.adapters.telegram_position import MAX_CHARS, Position, decode
from connectors_svc.adapters.telegram_send import send
from connectors_svc.adapters.telegram_split import split_markdown
from svckit.errors import Unauthenticated

log = logging.getLogger(__name__)
PART_LIMIT = 4096
BATCH = 100  # updates per getUpdates (the Bot API's most)
DRAIN_S = 60.0  # how long a failed session waits for the messages in hand
FLUSH_S = 1.0  # how long nothing is handled before the stored record is brought up to date


class TelegramAdapter:
    """`connectors_svc.adapters.base.Adapter` for one Telegram bot."""

    name = NAME
    part_limit = PART_LIMIT
    receives = True

    def __init__(
        self,
        bot: Bot,
        cursors: Cursors,
        poll_seconds: int = 25,
        sync_commands: bool = True,
        recheck_s: float = 0.25,
    ) -> None:
        self._bot, self._cursors = bot, cursors
        self._poll_seconds, self._sync_commands = poll_seconds, sync_commands
        self._recheck_s = recheck_s  # how often to look again while too many are open
        # a poll cycle lasts up to the long poll plus its request's timeout (10 s by default)
        self.beat_within_s = poll_seconds + 60.0

    async def run(self, sink: InboundSink) -> None:
        # No beat until the first poll cycle ends: the supervisor shows it `starting` (a beat
        # that is not connected would read degraded for the whole first long poll).
        try:
            await self._bot.initialize()  # getMe: the bot's id and username
        except InvalidToken:  # PTB's message quotes the token; the status must not
            raise Unauthenticated("telegram rejected the bot token") from None
        me = self._bot.bot
        username, cursor = me.username or "", f"{NAME}:{me.id}:offset"
        if self._sync_commands:
            await self._sync_menu(sink)
        await self._bot.delete_webhook()  # getUpdates answers 409 while a webhook is set
        stored = decode(await self._cursors.get(cursor))
        intake = Intake(sink, username, me.id, stored.offset)
        intake.resume([Update.de_json(u, self._bot) for u in stored.pending], stored.offset)
        saver = _Saver(self._cursors, cursor, stored, sink.fence)
        flusher = asyncio.create_task(_flush_when_idle(intake, saver))
        try:
            while True:
                await saver.cover(intake.position())  # before the offset goes to Telegram
                if intake.failure is not None:
                    await intake.settle(float("inf"))
                    await saver.save(intake.position())
                    raise intake.failure
                if saver.size > MAX_CHARS // 4:  # many open: wait for some to finish
                    await intake.settle(self._recheck_s)
                    sink.beat(AdapterState(True, "waiting for open messages to finish", username))
                    continue
                try:
                    updates = await self._bot.get_updates(
                        offset=intake.ack or None,
                        timeout=self._poll_seconds,
                        limit=BATCH,
                        allowed_updates=["message"],
                    )
                except RetryAfter as exc:
                    pause = retry_after_seconds(exc)
                    sink.beat(AdapterState(False, f"flood control, retry in {pause:g}s", username))
                    await asyncio.sleep(pause)
                    continue
                offset = {"offset": str(intake.ack)}
                sink.beat(AdapterState(True, "poll cycle ok", username, offset))
                intake.take(updates)
        except Exception:  # a poll failed: what is in hand finishes first (else a redelivery
            await intake.settle(DRAIN_S)  # would meet it half done), then the session ends
            with contextlib.suppress(Exception):
                await saver.save(intake.position())
            raise
        finally:
            flusher.cancel()
            await intake.cancel()

    async def _sync_menu(self, sink: InboundSink) -> None:
        """Failures only warn: the menu is a convenience, messages work without it."""
        try:
            await self._bot.set_my_commands(menu(await sink.commands()))
        except Exception as exc:
            log.warning("telegram command menu not synced: %s", exc)

    async def send_part(self, part: Part) -> str | Sent:
        return await send(self._bot, part)

    def split(self, text: str) -> list[str]:
        """Markdown parts whose HTML fits a message (`adapters.base.SplitsText`)."""
        return split_markdown(text, PART_LIMIT)

    async def aclose(self) -> None:
        await self._bot.shutdown()


class _Saver:
    """Puts the position in the store, one put at a time. Before a poll only what is open
    and not stored yet needs a put (`cover`): an update Telegram forgets once nothing is open
    needs nothing stored, since Telegram never sends a confirmed update again."""

    def __init__(
        self, cursors: Cursors, name: str, saved: Position, fence: Callable[[], Fence | None]
    ) -> None:
        self._cursors, self._name, self._fence = cursors, name, fence
        self._saved, self._ids = saved.encode(), _ids(saved)
        self._lock = asyncio.Lock()

    @property
    def size(self) -> int:
        return len(self._saved)

    async def cover(self, position: Position) -> None:
        if not _ids(position) <= self._ids:
            await self.save(position)

    async def save(self, position: Position) -> None:
        async with self._lock:
            value = position.encode()
            if value != self._saved:
                # fenced by the leader lease and never below the stored offset: a replica
                # that lost the lease (or a stale put) cannot move the position back
                await self._cursors.put(self._name, value, self._fence(), position.offset)
                self._saved, self._ids = value, _ids(position)


def _ids(position: Position) -> frozenset[int]:
    return frozenset(int(u["update_id"]) for u in position.pending)


async def _flush_when_idle(intake: Intake, saver: _Saver) -> None:
    """Brings the stored record up to date once everything taken was handled for a while
    (finished updates would linger in it, and be handed over again, harmlessly, after a
    restart); a put per quiet spell, not per message."""
    while True:
        await intake.ended()
        if intake.busy:
            continue
        await asyncio.sleep(FLUSH_S)
        if not intake.busy:
            with contextlib.suppress(Exception):  # a later flush or poll cycle saves it
                await saver.save(intake.position())
