"""The fake Discord as tests start and drive it: an aiohttp server on 127.0.0.1 with the REST
routes and the gateway, and the events a user causes (a message, a slash command)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from tests.fake_discord import payloads as p
from tests.fake_discord.gateway import GatewayApi
from tests.fake_discord.rest import RestApi


class FakeDiscord(RestApi, GatewayApi):
    """One bot account, its application, one guild with one text channel, and a gateway."""

    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        self.add_rest_routes(app)
        self.add_gateway_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.conn is not None:
            await self.conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def message(
        self,
        content: str,
        *,
        author_id: str = "42",
        dm: bool = False,
        bot_author: bool = False,
        mentions: list[str] | None = None,
        role_mentions: list[str] | None = None,
        files: Sequence[tuple[str, bytes, str]] = (),
    ) -> str:
        """A MESSAGE_CREATE from `author_id`, in a DM or in the guild's channel, with `files`
        (name, content, content type) attached and served as the CDN would; its id."""
        mid = self.next_id()
        author = p.user(author_id, f"user{author_id}", bot=bot_author)
        data = p.message(mid, f"8{author_id}" if dm else self.channel_id, content, author)
        for name, body, kind in files:
            aid, path = self.next_id(), f"{data['channel_id']}/{mid}/{name}"
            self.files[path] = body
            url = f"{self.base}/attachments/{path}"
            data["attachments"].append(p.attachment(aid, name, len(body), url, kind))
        data["mentions"] = [
            p.user(u, "bot" if u == self.bot_id else f"user{u}", bot=u == self.bot_id)
            for u in (mentions or [])
        ]
        data["mention_roles"] = role_mentions or []
        if not dm:
            data["guild_id"], data["member"] = self.guild_id, p.member()
        await self.dispatch("MESSAGE_CREATE", data)
        return mid

    async def interaction(
        self, name: str, options: dict[str, Any] | None = None, *, user_id: str = "42"
    ) -> tuple[str, str]:
        """An application command INTERACTION_CREATE in the guild's channel; (id, token)."""
        iid, itoken = self.next_id(), f"itoken-{self.next_id()}"
        opts = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        command = {"id": self.next_id(), "name": name, "type": 1, "options": opts}
        who = p.user(user_id, f"user{user_id}")
        data = p.interaction(iid, itoken, self.app_id, self.guild_id, self.channel_id, command, who)
        await self.dispatch("INTERACTION_CREATE", data)
        return iid, itoken

    def expire(self, token: str) -> None:
        """Discord stops taking `token` (fifteen minutes after its interaction)."""
        self.expired_tokens.add(token)
