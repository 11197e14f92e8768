"""Slash commands in flight. Discord fails an interaction that gets no callback within three
seconds, and an agent turn takes longer, so each command is acknowledged at once with a
deferred response (type 5, "thinking…"); its token then answers it for fifteen minutes.

The adapter hands the interaction to the core as the message's `reply_route` (`Route`: the
interaction id, application id, token and when the token expires). The core keeps it in the
reply's delivery row and hands it back with every part, so the reply goes through the
interaction whichever replica sends it, before or after a connectors restart: part 1 replaces
the "thinking…" original response (PATCH /webhooks/{application_id}/{token}/messages/@original;
repeated, it still shows the text once), parts 2+ are follow-ups (POST
/webhooks/{application_id}/{token}), as discord.py's `edit_original_response` and
`followup.send` do.

Past the token's lifetime, or when Discord refuses the token (401/404), the parts go to the
channel as ordinary messages instead (adapters/discord.py): nothing was shown through the
interaction, so nothing is shown twice. A delivery recorded without a route (written before
routes were kept) finds an interaction this process deferred by the id it replies to; after a
restart such a reply also falls back to channel messages."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

import aiohttp
from discord.webhook.async_ import interaction_response_params

from connectors_svc.adapters.discord_http import RoutedWebhooks

# Discord's fifteen minutes, counted from the deferral (a little after the interaction was
# created), less a margin for clock skew between replicas.
TOKEN_LIFETIME_S = 15 * 60 - 30
DEFERRED_CHANNEL_MESSAGE = 5
KIND = "discord.interaction"


@dataclass(frozen=True)
class Route:
    """A deferred interaction, as a delivery row keeps it."""

    interaction_id: str
    application_id: str
    token: str = field(repr=False)  # a credential for its fifteen minutes: kept out of logs
    expires_at_unix: float = 0.0

    def encode(self) -> str:
        return json.dumps({"kind": KIND, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> Route | None:
        """The route in `raw`, or None when `raw` holds none (empty, another kind, damaged)."""
        try:
            data = json.loads(raw) if raw else None
            if not isinstance(data, dict) or data.pop("kind", None) != KIND:
                return None
            route = cls(**data)
        except (ValueError, TypeError):
            return None
        ok = route.application_id.isdigit() and route.interaction_id.isdigit() and route.token
        return route if ok else None


class Interactions:
    """The interaction REST calls, and the interactions this process deferred (by id, until
    their token expires) for deliveries recorded without a route."""

    def __init__(
        self,
        webhooks: RoutedWebhooks,
        session: Callable[[], Awaitable[aiohttp.ClientSession]],
        clock: Callable[[], float],
    ) -> None:
        self._webhooks = webhooks
        self._session = session
        self._clock = clock  # wall clock, unix seconds: routes outlive the process
        self._deferred: dict[str, Route] = {}

    def route(self, reply_route: str, reply_to_message_id: str) -> Route | None:
        """The interaction a part answers, live or expired; None for none."""
        route = Route.decode(reply_route)
        if route is not None or not reply_to_message_id:
            return route
        now = self._clock()
        for key in [k for k, r in self._deferred.items() if r.expires_at_unix <= now]:
            del self._deferred[key]
        return self._deferred.get(reply_to_message_id)

    def live(self, route: Route) -> bool:
        return route.expires_at_unix > self._clock()

    async def defer(self, interaction_id: str, token: str, application_id: str) -> Route:
        """Acknowledges the interaction (type 5); raises what discord.py raised."""
        await self._webhooks.create_interaction_response(
            int(interaction_id),
            token,
            session=await self._session(),
            params=interaction_response_params(type=DEFERRED_CHANNEL_MESSAGE),
        )
        route = Route(interaction_id, application_id, token, self._clock() + TOKEN_LIFETIME_S)
        self._deferred[interaction_id] = route
        return route

    async def answer(self, route: Route, index: int, text: str) -> str:
        """Part `index` of the reply: the original response (part 0) or a follow-up; the id of
        the message that shows it."""
        if index == 0:
            data = await self._webhooks.edit_original_interaction_response(
                int(route.application_id),
                route.token,
                session=await self._session(),
                payload={"content": text},
            )
            return str(data["id"])
        followup = await self._webhooks.execute_webhook(
            int(route.application_id),
            route.token,
            session=await self._session(),
            payload={"content": text},
            wait=True,
        )
        if followup is None:  # only without wait=True
            raise RuntimeError("discord returned no follow-up message")
        return str(followup["id"])
