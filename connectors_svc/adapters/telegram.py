"""The Telegram adapter on python-telegram-bot (REFERENCE.md §8.2): long polling with
`getUpdates`, the command menu with `setMyCommands`, one part per `sendMessage`.

An update is acknowledged (the offset moves past it, in the store and then to Telegram with
the next `getUpdates`) only after `InboundSink.handle` returned for it and for every update
before it (`telegram_intake.Intake`). While messages are being handled the adapter looks for
new ones every `recheck_s` without waiting (a long poll would return the unacknowledged ones
at once); when one fails, the session ends once the others are done (the supervisor starts
it again after a backoff) and it is received again. The offset is kept in the store under
`telegram:<bot id>:offset`, so a restart neither replays what was acknowledged nor skips
what was not."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, ReplyParameters
from telegram.error import InvalidToken, RetryAfter, TelegramError

from connectors_svc.adapters.base import AdapterState, InboundSink, Part, Rejected
from connectors_svc.adapters.cursors import Cursors
from connectors_svc.adapters.telegram_errors import delivery_error, retry_after_seconds
from connectors_svc.adapters.telegram_inbound import NAME
from connectors_svc.adapters.telegram_intake import Intake
from connectors_svc.adapters.telegram_menu import menu
from svckit.errors import Unauthenticated

log = logging.getLogger(__name__)
PART_LIMIT = 4096


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
        self._recheck_s = recheck_s  # how often new updates are looked for while handling

    async def run(self, sink: InboundSink) -> None:
        sink.beat(AdapterState(detail="starting"))
        try:
            await self._bot.initialize()  # getMe: the bot's id and username
        except InvalidToken:  # PTB's message quotes the token; the status must not
            raise Unauthenticated("telegram rejected the bot token") from None
        me = self._bot.bot
        username, cursor = me.username or "", f"{NAME}:{me.id}:offset"
        if self._sync_commands:
            await self._sync_menu(sink)
        await self._bot.delete_webhook()  # getUpdates answers 409 while a webhook is set
        saved = int(await self._cursors.get(cursor) or 0)
        intake = Intake(sink, username, me.id, saved)
        try:
            while True:
                wait = 0 if intake.busy else self._poll_seconds  # busy: only a look
                try:
                    updates = await self._bot.get_updates(
                        offset=intake.ack or None, timeout=wait, allowed_updates=["message"]
                    )
                except RetryAfter as exc:
                    pause = retry_after_seconds(exc)
                    sink.beat(AdapterState(False, f"flood control, retry in {pause:g}s", username))
                    await asyncio.sleep(pause)
                    continue
                sink.beat(AdapterState(True, "poll cycle ok", username, {"offset": str(saved)}))
                intake.take(updates)
                await intake.settle(self._recheck_s)
                if intake.ack != saved:
                    await self._cursors.put(cursor, str(intake.ack))
                    saved = intake.ack
                failure = intake.failure
                if failure is not None and not intake.busy:
                    raise failure
        finally:
            await intake.cancel()

    async def _sync_menu(self, sink: InboundSink) -> None:
        """Failures only warn: the menu is a convenience, messages work without it."""
        try:
            await self._bot.set_my_commands(menu(await sink.commands()))
        except Exception as exc:
            log.warning("telegram command menu not synced: %s", exc)

    async def send_part(self, part: Part) -> str:
        try:
            chat_id = int(part.chat_id)
            reply_to = int(part.reply_to_message_id) if part.reply_to_message_id else None
        except ValueError:
            raise Rejected(f"not a telegram chat or message id: {part.chat_id!r}") from None
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            await self._bot.initialize()  # a no-op once done; a replica may send without polling
            sent = await self._bot.send_message(chat_id, part.text, reply_parameters=reply)
        except TelegramError as exc:
            mapped = delivery_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return str(sent.message_id)

    async def aclose(self) -> None:
        await self._bot.shutdown()
