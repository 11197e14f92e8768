"""The Discord adapter, on discord.py (REFERENCE.md §8.3, issue #13 item 2).

Receiving: a discord.py `Client` per session, with the GUILDS, GUILD_MESSAGES,
DIRECT_MESSAGES and MESSAGE_CONTENT intents. discord.py keeps the gateway session: heartbeats,
and on a dropped socket, an op 7 or a resumable op 9 it reconnects and RESUMEs (missed
events are replayed; a non-resumable op 9 IDENTIFYs anew), backing off exponentially between
failed attempts. Direct messages and guild messages that mention the bot go to the core's
sink; slash commands are registered from the gateway's catalogue at each login (unless
AGENT_RUNTIME_COMMAND_SYNC_ENABLED=false), deferred at once and answered through their
interaction, even after a restart (adapters/discord_interactions.py).

Sending: one long-lived discord.py REST client, apart from the gateway session, so the outbox
drains even on a replica that does not hold the receiving lease."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from discord.backoff import ExponentialBackoff
from discord.http import handle_message_parameters

from connectors_svc.adapters.base import AdapterState, InboundMessage, InboundSink, Part, Rejected
from connectors_svc.adapters.discord_commands import sync_commands
from connectors_svc.adapters.discord_errors import classify
from connectors_svc.adapters.discord_http import (
    DEFAULT_API_BASE,
    DEFAULT_GATEWAY_URL,
    RoutedHTTP,
    RoutedWebhooks,
)
from connectors_svc.adapters.discord_inbound import (
    CONNECTOR,
    command_message,
    command_text,
    inbound_message,
    nonce,
)
from connectors_svc.adapters.discord_interactions import Interactions, Route
from connectors_svc.config import ConnectorsSettings

log = logging.getLogger(__name__)

INTENTS = discord.Intents(guilds=True, guild_messages=True, dm_messages=True, message_content=True)
# Rate limits longer than this are handed back to the ledger (NotDelivered with retry-after)
# instead of being waited out inside the send; discord.py's floor is 30 s.
MAX_RATELIMIT_WAIT_S = 30.0
HANDLE_ATTEMPTS = 5
COMMAND_FAILED = "I hit an error while running that command."
COMMAND_RECEIVED = "Command received."
# Discord's answers to an interaction token it no longer takes (expired, or never known)
TOKEN_REFUSED = (401, 404)


@dataclass(frozen=True)
class DiscordConfig:
    """`AGENT_RUNTIME_DISCORD_*` as plain values."""

    token: str = field(repr=False)
    api_base: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY_URL
    application_id: str = ""
    command_guild_ids: tuple[str, ...] = ()
    # AGENT_RUNTIME_COMMAND_SYNC_ENABLED: False registers no application commands at all
    # (those registered before stay as Discord has them, and are still answered).
    sync_commands: bool = True
    # How often an open but quiet session says it is still open (discord.py keeps it alive;
    # without this a quiet guild's last beat would stay at the last event).
    beat_s: float = 10.0


def build(settings: ConnectorsSettings) -> DiscordAdapter:
    """The adapter of a process whose Discord token is set (the catalogue reports the
    connector `disabled` with `token missing` otherwise and never calls this)."""
    guilds = (g.strip() for g in settings.discord_command_guild_ids.split(","))
    return DiscordAdapter(
        DiscordConfig(
            token=settings.discord_token.get_secret_value(),
            api_base=settings.discord_api_base,
            gateway_url=settings.discord_gateway_url,
            application_id=settings.discord_application_id.strip(),
            command_guild_ids=tuple(dict.fromkeys(g for g in guilds if g)),
            sync_commands=settings.command_sync_enabled,
            beat_s=settings.heartbeat_interval_seconds,
        )
    )


class DiscordAdapter:
    """The `discord` connector (adapters/base.py `Adapter`)."""

    name = CONNECTOR
    part_limit = 2000
    receives = True

    def __init__(self, config: DiscordConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.beat_within_s = 3 * config.beat_s  # while the session is open (keep_beating)
        self._rest: RoutedHTTP | None = None
        self._rest_lock = asyncio.Lock()
        self._hook_session: aiohttp.ClientSession | None = None
        self._interactions = Interactions(
            RoutedWebhooks(config.api_base), self._webhook_session, clock
        )

    # -- receiving ---------------------------------------------------------------------

    async def run(self, sink: InboundSink) -> None:
        client = _Session(self, sink)
        sync: asyncio.Task[None] | None = None
        beats = asyncio.create_task(client.keep_beating(self.config.beat_s))
        try:
            await client.login(self.config.token)
            if self.config.sync_commands:
                app_id = self.config.application_id or str(client.application_id or "")
                guilds = self.config.command_guild_ids
                sync = asyncio.create_task(sync_commands(client.http, app_id, guilds, sink))
            await client.connect(reconnect=True)
        finally:
            beats.cancel()
            if sync is not None:
                sync.cancel()
            await client.close()
            sink.beat(AdapterState(connected=False, detail="session closed"))

    async def on_message(self, sink: InboundSink, message: InboundMessage) -> None:
        backoff: ExponentialBackoff[bool] = ExponentialBackoff()
        for attempt in range(HANDLE_ATTEMPTS):
            try:
                await sink.handle(message)
                return
            except Exception as exc:
                # Discord does not redeliver a gateway event; the gateway's journal makes a
                # repeated hand-over harmless, so try again before giving the message up.
                log.warning("discord message %s not taken (%s)", message.message_id, exc)
                if attempt + 1 < HANDLE_ATTEMPTS:
                    await asyncio.sleep(backoff.delay())
        log.error(
            "discord message %s dropped after %d attempts", message.message_id, HANDLE_ATTEMPTS
        )

    async def on_interaction(self, sink: InboundSink, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.application_command:
            return
        try:
            route = await self._interactions.defer(
                str(interaction.id), interaction.token, str(interaction.application_id)
            )
        except Exception as exc:
            log.warning("discord interaction %s not acknowledged: %s", interaction.id, exc)
            return
        text = command_text(dict(interaction.data or {}))
        try:
            reply = await sink.handle(command_message(interaction, text, route.encode()))
        except Exception as exc:
            log.warning("discord command %s failed: %s", text.split(" ")[0], exc)
            await self._answer_alone(route, COMMAND_FAILED)
        else:
            if not reply:  # nothing to deliver: say the command was taken
                await self._answer_alone(route, COMMAND_RECEIVED)
        # a reply is in the ledger with the route: the core sends it through the interaction

    async def _answer_alone(self, route: Route, text: str) -> None:
        try:
            await self._interactions.answer(route, 0, text)
        except Exception as exc:
            log.warning("discord interaction %s not answered: %s", route.interaction_id, exc)

    # -- sending -----------------------------------------------------------------------

    async def send_part(self, part: Part) -> str:
        try:
            route = self._interactions.route(part.reply_route, part.reply_to_message_id)
            if route is None:
                return await self._send_message(part, reference=True)
            if self._interactions.live(route):
                try:
                    return await self._interactions.answer(route, part.index, part.text)
                except discord.HTTPException as exc:
                    if exc.status not in TOKEN_REFUSED:
                        raise
                    log.info("discord refused interaction %s: %s", route.interaction_id, exc)
            # The token expired (or Discord no longer takes it): nothing was shown through
            # the interaction, so the part goes to the channel as an ordinary message.
            return await self._send_message(part, reference=False)
        except (discord.DiscordException, aiohttp.ClientError) as exc:
            mapped = classify(exc)
            if mapped is exc:
                raise  # unknown: the request may have reached Discord
            raise mapped from exc

    async def _send_message(self, part: Part, *, reference: bool) -> str:
        if not part.chat_id.isdigit():
            raise Rejected(f"discord channel id must be a snowflake, not {part.chat_id!r}")
        ref: Any = discord.utils.MISSING
        if reference and part.reply_to_message_id.isdigit():
            ref = {
                "message_id": int(part.reply_to_message_id),
                "channel_id": int(part.chat_id),
                "fail_if_not_exists": False,
            }
        params = handle_message_parameters(
            content=part.text,
            nonce=nonce(part.idempotency_key),
            message_reference=ref,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False),
        )
        rest = await self._rest_client()
        data = await rest.send_message(int(part.chat_id), params=params)
        return str(data["id"])

    async def _rest_client(self) -> RoutedHTTP:
        async with self._rest_lock:  # concurrent first sends log in once
            return await self._login_rest()

    async def _login_rest(self) -> RoutedHTTP:
        if self._rest is None:
            rest = RoutedHTTP(
                self.config.api_base,
                self.config.gateway_url,
                max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S,
            )
            try:
                await rest.static_login(self.config.token)
            except BaseException:
                await rest.close()
                raise
            self._rest = rest
        return self._rest

    async def _webhook_session(self) -> aiohttp.ClientSession:
        if self._hook_session is None or self._hook_session.closed:
            self._hook_session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._hook_session

    async def aclose(self) -> None:
        if self._rest is not None:
            await self._rest.close()
            self._rest = None
        if self._hook_session is not None:
            await self._hook_session.close()
            self._hook_session = None


class _Session(discord.Client):
    """One gateway session of the adapter, on its own routed REST client."""

    def __init__(self, adapter: DiscordAdapter, sink: InboundSink) -> None:
        super().__init__(intents=INTENTS)
        config = adapter.config
        # Swapped in before discord.py opens anything: the state and the websocket reach
        # REST and the gateway through `self.http`.
        self.http = RoutedHTTP(config.api_base, config.gateway_url)
        self._connection.http = self.http
        self._adapter, self._sink = adapter, sink
        self._open, self._detail = False, ""  # between READY/RESUMED and a disconnect

    def _beat(self, connected: bool, detail: str) -> None:
        self._open, self._detail = connected, detail
        name = self.user.name if self.user else ""
        self._sink.beat(AdapterState(connected=connected, detail=detail, bot_username=name))

    async def keep_beating(self, every_s: float) -> None:
        """Until cancelled: every `every_s`, beat again while the session is open."""
        while True:
            await asyncio.sleep(every_s)
            if self._open and not self.is_closed():
                self._beat(True, self._detail)

    async def on_ready(self) -> None:
        self._beat(True, "ready")

    async def on_resumed(self) -> None:
        self._beat(True, "resumed")

    async def on_disconnect(self) -> None:
        self._beat(False, "disconnected; reconnecting")

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None:
            return
        inbound = inbound_message(message, self.user.id)
        if inbound is not None:
            self._beat(True, "message received")
            await self._adapter.on_message(self._sink, inbound)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self._beat(True, "command received")
        await self._adapter.on_interaction(self._sink, interaction)
