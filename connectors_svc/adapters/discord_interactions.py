"""Slash commands in flight. Discord fails an interaction that gets no callback within three
seconds, and an agent turn takes longer, so each command is acknowledged at once with a
deferred response (type 5, "thinking…") and answered later by editing that original
response; its interaction token stays valid for fifteen minutes.

The reply reaches the interaction either way round: the core delivers it through the ledger
(`send_part` with `reply_to_message_id` = the interaction id lands here), or, when nothing
did by the time `handle` returned, the adapter answers with the text `handle` returned. The
same text is never shown twice; further parts of a long reply become follow-up messages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from discord.webhook.async_ import interaction_response_params

from connectors_svc.adapters.discord_http import RoutedWebhooks

TOKEN_LIFETIME_S = 15 * 60
DEFERRED_CHANNEL_MESSAGE = 5


@dataclass
class Pending:
    """One deferred interaction and what its original response shows."""

    interaction_id: str
    token: str
    application_id: str
    deadline: float
    shown: str | None = None
    message_id: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Interactions:
    """The adapter's deferred interactions, by interaction id (pruned once their token has
    expired)."""

    def __init__(
        self,
        webhooks: RoutedWebhooks,
        session: Callable[[], Awaitable[aiohttp.ClientSession]],
        clock: Callable[[], float],
    ) -> None:
        self._webhooks = webhooks
        self._session = session
        self._clock = clock
        self._pending: dict[str, Pending] = {}

    def get(self, interaction_id: str) -> Pending | None:
        now = self._clock()
        for key in [k for k, p in self._pending.items() if p.deadline <= now]:
            del self._pending[key]
        return self._pending.get(interaction_id) if interaction_id else None

    async def defer(self, interaction_id: str, token: str, application_id: str) -> Pending:
        """Acknowledges the interaction (type 5); raises what discord.py raised."""
        await self._webhooks.create_interaction_response(
            int(interaction_id),
            token,
            session=await self._session(),
            params=interaction_response_params(type=DEFERRED_CHANNEL_MESSAGE),
        )
        pending = Pending(interaction_id, token, application_id, self._clock() + TOKEN_LIFETIME_S)
        self._pending[interaction_id] = pending
        return pending

    async def answer(self, pending: Pending, text: str) -> str:
        """Shows `text` in the original response, or as a follow-up once it shows another
        text; the same text again returns the message that already shows it."""
        async with pending.lock:
            if pending.shown is None:
                data = await self._webhooks.edit_original_interaction_response(
                    int(pending.application_id),
                    pending.token,
                    session=await self._session(),
                    payload={"content": text},
                )
                pending.shown, pending.message_id = text, str(data["id"])
                return pending.message_id
            if pending.shown == text:
                return pending.message_id
            followup = await self._webhooks.execute_webhook(
                int(pending.application_id),
                pending.token,
                session=await self._session(),
                payload={"content": text},
                wait=True,
            )
            if followup is None:  # only without wait=True
                raise RuntimeError("discord returned no follow-up message")
            return str(followup["id"])

    async def answer_if_unanswered(self, pending: Pending, text: str) -> None:
        """The adapter's own answer after `handle` returned, when no delivery came first."""
        if pending.shown is None:
            await self.answer(pending, text)
