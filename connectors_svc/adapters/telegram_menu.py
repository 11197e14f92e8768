"""The bot's command menu (`setMyCommands`) from the gateway's command catalogue, as the
original built it (REFERENCE.md §8.2): names `-` → `_`, only `[a-z0-9_]`, at most 32
characters; descriptions at most 256 characters; `pair` added. Telegram takes 100 at most."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import BotCommand

from connectors_svc.adapters.base import Command

DEFAULT_DESCRIPTION = "Agent Runtime command"
PAIR = BotCommand("pair", "Link this Telegram account")
MAX_COMMANDS = 100


def menu(commands: Sequence[Command]) -> list[BotCommand]:
    """The menu entries, in catalogue order, each name once, `pair` last when absent."""
    entries: list[BotCommand] = []
    seen: set[str] = set()
    for command in commands:
        name = re.sub(r"[^a-z0-9_]", "", command.name.lower().replace("-", "_"))[:32]
        if not name or name in seen:
            continue
        seen.add(name)
        description = " ".join(command.description.split()) or DEFAULT_DESCRIPTION
        entries.append(BotCommand(name, description[:256]))
    if PAIR.command in seen:
        return entries[:MAX_COMMANDS]
    return [*entries[: MAX_COMMANDS - 1], PAIR]
