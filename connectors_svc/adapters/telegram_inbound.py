"""From a Telegram update to the gateway's InboundMessage (REFERENCE.md §8.2): only `message`
updates, text or caption; a private chat is a direct message (`pair` and the menu's `/pair`
included, the gateway handles both); in a group only what is addressed to the bot
goes on: a command (not one addressed to another bot with `/cmd@other_bot`), a mention of
`@<bot username>`, a reply to the bot's own message (`mentioned`), and a markdown document
(saved by the core, its caption dropped when not addressed to the bot)."""

from __future__ import annotations

import re

from telegram import Message, Update

from connectors_svc.adapters.base import Attachment, InboundMessage

NAME = "telegram"


def inbound(update: Update, bot_username: str, bot_id: int) -> InboundMessage | None:
    """The message to hand to the gateway, or None when there is nothing for it."""
    msg = update.message
    if msg is None or msg.from_user is None:
        return None
    text = msg.text or msg.caption or ""
    files = _attachments(msg)
    if not text.strip() and not files:
        return None
    user = msg.from_user
    sender = user.full_name.strip() or user.username or str(user.id)
    direct = msg.chat.type == "private"
    mentioned = False
    if not direct:
        command = _command_target(text)
        mentioned = _mentions(text, bot_username) or _replies_to(msg, bot_id)
        addressed = (command is not None or mentioned) and not (
            command and bot_username and command.lower() != bot_username.lower()
        )  # not /cmd@other_bot
        if not addressed and not any(f.markdown for f in files):
            return None  # group chatter not addressed to the bot
        if not addressed:
            text, mentioned = "", False  # only the file is for the bot
    return InboundMessage(
        connector=NAME,
        external_id=str(msg.chat.id),
        text=text,
        message_id=str(msg.message_id),
        from_user_id=str(user.id),
        from_display_name=sender,
        display_name="" if direct else (msg.chat.title or ""),
        direct_message=direct,
        mentioned=mentioned,
        attachments=files,
    )


def _attachments(msg: Message) -> tuple[Attachment, ...]:
    doc = msg.document
    if doc is None:
        return ()

    async def fetch() -> bytes:
        file = await doc.get_file()  # getFile, then <base>/file/bot<token>/<file_path>
        return bytes(await file.download_as_bytearray())

    return (Attachment(doc.file_name or "", doc.mime_type or "", doc.file_size or 0, fetch),)


def _command_target(text: str) -> str | None:
    """None for a text that is no command; else the bot it names (`/task@bot`), or ""."""
    if not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0]
    return head.partition("@")[2]


def _mentions(text: str, bot_username: str) -> bool:
    if not bot_username:
        return False
    return re.search(rf"@{re.escape(bot_username)}\b", text, re.IGNORECASE) is not None


def _replies_to(msg: Message, bot_id: int) -> bool:
    replied = msg.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)
