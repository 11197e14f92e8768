"""Discord events as the core sees them: which messages are for the bot, and a slash command
as a message with its text (REFERENCE.md §8.3)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import discord

from connectors_svc.adapters.base import Attachment, InboundMessage

CONNECTOR = "discord"
_SPACES = re.compile(r"[ \t]{2,}")


def inbound_message(message: discord.Message, bot_id: int) -> InboundMessage | None:
    """The message for the gateway, or None when it is not for the bot: bot authors (this
    bot included), guild messages that neither mention the bot nor carry a markdown file
    (then only the file is for the bot: the text is dropped), empty text without files."""
    if message.author.bot:
        return None
    channel = message.channel
    direct = isinstance(channel, discord.DMChannel)
    tokens = [f"<@{bot_id}>", f"<@!{bot_id}>"]
    # "@bot" in a guild often completes to the bot's managed role: that counts too
    role = message.guild.self_role if message.guild else None
    if role is not None:
        tokens.append(role.mention)
    mentioned = (
        any(u.id == bot_id for u in message.mentions)
        or (role is not None and role in message.role_mentions)
        or any(t in message.content for t in tokens)
    )
    files = tuple(
        Attachment(a.filename, a.content_type or "", a.size, a.read) for a in message.attachments
    )  # read(): a GET of the attachment's URL
    if not direct and not mentioned and not any(f.markdown for f in files):
        return None
    text = message.content if direct or mentioned else ""
    for token in tokens:
        text = text.replace(token, " ")
    text = _SPACES.sub(" ", text).strip()
    if not text and not files:
        return None
    author = message.author
    return InboundMessage(
        connector=CONNECTOR,
        external_id=str(channel.id),
        text=text,
        message_id=str(message.id),
        from_user_id=str(author.id),
        from_display_name=author.global_name or author.name,
        display_name=_display(direct, author, message.guild, channel, channel.id),
        direct_message=direct,
        mentioned=mentioned,
        attachments=files,
    )


def _display(
    direct: bool,
    user: discord.User | discord.Member,
    guild: discord.Guild | None,
    channel: object,
    channel_id: object,
) -> str:
    """Where a message or command came from, as the gateway shows it: `DM <user>`, or
    `<guild> #<channel>` (the channel's id when it has no name)."""
    if direct:
        return f"DM {user.name}"
    name = getattr(channel, "name", None) or channel_id
    return f"{guild.name if guild else ''} #{name}".strip()


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def command_message(interaction: discord.Interaction, text: str, route: str) -> InboundMessage:
    """A slash command as the message the gateway takes (always addressed to the bot); its
    reply goes through the interaction (`route`, adapters/discord_interactions.py)."""
    user = interaction.user
    direct = interaction.guild_id is None
    return InboundMessage(
        connector=CONNECTOR,
        external_id=str(interaction.channel_id),
        text=text,
        message_id=str(interaction.id),
        from_user_id=str(user.id),
        from_display_name=user.global_name or user.name,
        display_name=_display(
            direct, user, interaction.guild, interaction.channel, interaction.channel_id
        ),
        direct_message=direct,
        mentioned=True,
        reply_route=route,
    )


def command_text(data: Mapping[str, Any]) -> str:
    """`/<name> <option values>` of an application-command interaction's data; subcommand
    groups are flattened in order, blank values skipped."""
    parts = ["/" + str(data.get("name", "")).strip()]
    pending = list(data.get("options") or [])
    while pending:
        option = pending.pop(0)
        if "options" in option:  # a subcommand or group: its name, then its own options
            parts.append(str(option.get("name", "")))
            pending[:0] = list(option["options"] or [])
        elif (text := _option_text(option.get("value", ""))) != "":
            parts.append(text)
    return " ".join(p for p in parts if p)


def nonce(idempotency_key: str) -> str | None:
    """Discord's message nonce (≤ 25 characters) for an idempotency key: with
    `enforce_nonce`, Discord answers a repeated send with the message it already created."""
    if not idempotency_key:
        return None
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:25]
