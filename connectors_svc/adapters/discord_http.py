"""discord.py's HTTP clients pointed at a configured REST base and gateway, per instance.

discord.py builds every REST URL from the class attribute `discord.http.Route.BASE` and opens
its first gateway socket at the class attribute `DiscordWebSocket.DEFAULT_GATEWAY`. Changing
those would move every client of the process (and leak between tests), so these subclasses
rewrite the URL of each request they make instead: `AGENT_RUNTIME_DISCORD_API_BASE` and
`AGENT_RUNTIME_DISCORD_GATEWAY_URL` then reach a proxy or a local Discord, and the defaults
leave the URLs as discord.py builds them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/?v=10&encoding=json"


def rebase(url: str, api_base: str) -> str:
    """`url` (built on discord.py's Route.BASE) moved onto `api_base`."""
    base = Route.BASE
    if url.startswith(base) and api_base.rstrip("/") != base:
        return api_base.rstrip("/") + url[len(base) :]
    return url


def regateway(url: str, gateway_url: str) -> str:
    """discord.py's default gateway URL moved onto `gateway_url`, keeping the query discord.py
    asks for (API version, encoding, transport compression). A `resume_gateway_url` that
    Discord handed out in READY is left alone."""
    asked = yarl.URL(url)
    default = DiscordWebSocket.DEFAULT_GATEWAY
    if asked.with_query(None) != default.with_query(None):
        return url
    configured = yarl.URL(gateway_url)
    return str(configured.with_query({**configured.query, **asked.query}))


class RoutedHTTP(HTTPClient):
    """discord.py's REST client (rate limits, retries, auth) on `api_base` and `gateway_url`."""

    def __init__(
        self,
        api_base: str,
        gateway_url: str,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        max_ratelimit_timeout: float | None = None,
    ) -> None:
        # discord.py's Client hands its HTTPClient the running loop in its setup hook; a
        # standalone client (the sender) is made inside a coroutine and takes it now.
        super().__init__(
            loop or asyncio.get_event_loop(), max_ratelimit_timeout=max_ratelimit_timeout
        )
        self.api_base = api_base
        self.gateway_url = gateway_url

    async def request(self, route: Route, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, **kwargs)

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        return await super().ws_connect(regateway(url, self.gateway_url), compress=compress)


class RoutedWebhooks(AsyncWebhookAdapter):
    """discord.py's webhook/interaction REST calls (callbacks, original-response edits,
    follow-ups) on `api_base`; they carry the interaction token, not the bot token."""

    def __init__(self, api_base: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # discord.py leaves it unannotated
        self.api_base = api_base

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        route.url = rebase(route.url, self.api_base)
        return await super().request(route, session, **kwargs)
