"""The Telegram adapter on python-telegram-bot (REFERENCE.md §8.2): long polling with
`getUpdates`, the command menu with `setMyCommands`, one part per `sendMessage`.

An update is acknowledged (the offset moves past it, in the store and then to Telegram with
the next `getUpdates`) only after `InboundSink.handle` returned for it and for every update
before it. A batch is handled chat by chat at once, each chat's messages in order; when a
message fails, its chat stops there, the offset stays at it and the session ends (the
supervisor starts it again after a backoff): it is received again, and so are the later
updates of other chats that were already handled, which the gateway's journal recognises by
message id. The offset is kept in the store under `telegram:<bot id>:offset`, so a restart
neither replays what was acknowledged nor skips what was not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, ReplyParameters, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from connectors_svc.adapters.base import AdapterState, InboundSink, Part, Rejected
from connectors_svc.adapters.cursors import Cursors
from connectors_svc.adapters.telegram_errors import delivery_error, retry_after_seconds
from connectors_svc.adapters.telegram_inbound import NAME, inbound
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
        self, bot: Bot, cursors: Cursors, poll_seconds: int = 25, sync_commands: bool = True
    ) -> None:
        self._bot, self._cursors = bot, cursors
        self._poll_seconds, self._sync_commands = poll_seconds, sync_commands

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
        offset = int(await self._cursors.get(cursor) or 0)
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=offset or None, timeout=self._poll_seconds, allowed_updates=["message"]
                )
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                sink.beat(AdapterState(False, f"flood control, retry in {wait:g}s", username))
                await asyncio.sleep(wait)
                continue
            sink.beat(AdapterState(True, "poll cycle ok", username, {"offset": str(offset)}))
            if not updates:
                continue
            acked, failure = await self._handle(updates, sink, username, me.id)
            if acked != offset:
                await self._cursors.put(cursor, str(acked))
                offset = acked
            if failure is not None:
                raise failure

    async def _handle(
        self, updates: Sequence[Update], sink: InboundSink, username: str, bot_id: int
    ) -> tuple[int, Exception | None]:
        """Handles a batch; returns the offset to acknowledge and the first failure."""
        chats: dict[str, list[Update]] = {}
        for update in updates:
            msg = update.message
            chats.setdefault(str(msg.chat.id) if msg else "", []).append(update)
        failed: list[tuple[int, Exception]] = []

        async def one_chat(batch: list[Update]) -> None:
            for update in batch:
                message = inbound(update, username, bot_id)
                if message is None:
                    continue
                try:
                    await sink.handle(message)
                except Exception as exc:
                    log.warning("telegram update %s not handled: %s", update.update_id, exc)
                    failed.append((update.update_id, exc))
                    return

        await asyncio.gather(*(one_chat(batch) for batch in chats.values()))
        if failed:
            first = min(failed, key=lambda f: f[0])
            return first[0], first[1]
        return max(u.update_id for u in updates) + 1, None

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
