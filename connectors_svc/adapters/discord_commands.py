"""The gateway's command catalogue as Discord application (slash) commands, registered with
one bulk overwrite per scope (global, or each configured guild) at every login, and again
with backoff until it succeeds: a gateway that is down at start-up delays the menu, not the
session."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

import discord
from discord.backoff import ExponentialBackoff
from discord.http import HTTPClient

from connectors_svc.adapters.base import Command, InboundSink

log = logging.getLogger(__name__)

DEFAULT_DESCRIPTION = "Agent Runtime command"
_NAME = re.compile(r"[^-_a-z0-9]+")


def _name(raw: str, fallback: str) -> str:
    return _NAME.sub("", raw.lower().replace(" ", "-"))[:32] or fallback


def command_payload(commands: Sequence[Command]) -> list[dict[str, Any]]:
    """The bulk-overwrite body of application commands: chat-input commands whose
    description fits Discord's 100 characters, with one optional string option named after
    the argument when the command takes one. Names Discord would refuse are cleaned;
    duplicates after cleaning are dropped (Discord refuses the whole list otherwise)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for command in commands:
        name = _name(command.name, "")
        if not name or name in seen:
            continue
        seen.add(name)
        entry: dict[str, Any] = {
            "name": name,
            "description": (command.description.strip() or DEFAULT_DESCRIPTION)[:100],
            "type": 1,
        }
        if command.argument:
            entry["options"] = [
                {
                    "type": 3,
                    "name": _name(command.argument, "argument"),
                    "description": command.argument[:100],
                    "required": False,
                }
            ]
        out.append(entry)
    return out


async def sync_commands(
    http: HTTPClient, app_id: str, guild_ids: Sequence[str], sink: InboundSink
) -> None:
    """Registers the catalogue; retries until done, except when Discord refuses it (a 4xx:
    logged, as a retry would be refused again)."""
    backoff: ExponentialBackoff[bool] = ExponentialBackoff()
    while True:
        try:
            payload = command_payload(await sink.commands())
            if guild_ids:
                for guild in guild_ids:
                    await http.bulk_upsert_guild_commands(app_id, guild, payload)
            else:
                await http.bulk_upsert_global_commands(app_id, payload)
            return
        except discord.HTTPException as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                log.warning("discord refused the slash commands: %s", exc)
                return
            log.warning("discord command sync failed, retrying: %s", exc)
        except Exception as exc:
            log.warning("discord command sync failed, retrying: %s", exc)
        await asyncio.sleep(backoff.delay())
