"""One part to Telegram with `sendMessage`: its markdown as HTML (`telegram_html`), and, when
Telegram answers 400 "can't parse entities", the same part once more as plain text. That
400 came before Telegram accepted anything, so nothing reached the chat and the second
call cannot show the part twice; the ledger keeps a note that it went out plain. Other
failures are mapped for the ledger by `telegram_errors.delivery_error`."""

from __future__ import annotations

import logging

from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from connectors_svc.adapters.base import Part, Rejected, Sent
from connectors_svc.adapters.telegram_errors import delivery_error
from connectors_svc.adapters.telegram_html import to_html

log = logging.getLogger(__name__)
UNPARSABLE = "can't parse entities"


async def send(bot: Bot, part: Part) -> str | Sent:
    """Sends `part`; its message id, or a `Sent` with a note when it went out plain."""
    try:
        chat_id = int(part.chat_id)
        reply_to = int(part.reply_to_message_id) if part.reply_to_message_id else None
    except ValueError:
        raise Rejected(f"not a telegram chat or message id: {part.chat_id!r}") from None
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        await bot.initialize()  # a no-op once done; a replica may send without polling
        try:
            sent = await bot.send_message(
                chat_id, to_html(part.text), parse_mode=ParseMode.HTML, reply_parameters=reply
            )
        except BadRequest as exc:
            if UNPARSABLE not in exc.message.lower():
                raise
            log.warning("telegram could not parse a reply's HTML, sending it plain: %s", exc)
            sent = await bot.send_message(chat_id, part.text, reply_parameters=reply)
            return Sent(str(sent.message_id), f"sent as plain text: {exc.message}")
    except TelegramError as exc:
        mapped = delivery_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc
    return str(sent.message_id)
