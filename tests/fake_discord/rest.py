"""The fake Discord's REST API under `/api/v10`, as discord.py calls it: the bot's account,
channel messages (with nonce de-duplication), application commands, interaction callbacks,
original-response edits and follow-ups (refused with Discord's 401 `Invalid Webhook Token`
once a token is in `expired_tokens`), and attachments on the CDN."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fake_discord import payloads as p
from tests.fake_discord.state import DROP, FakeState, json_response

API = "/api/v10"
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
INVALID_TOKEN = {"message": "Invalid Webhook Token", "code": 50027}


class RestApi(FakeState):
    def add_rest_routes(self, app: web.Application) -> None:
        add = app.router
        add.add_get(f"{API}/users/@me", self._me)
        add.add_get(f"{API}/oauth2/applications/@me", self._app_info)
        add.add_get(f"{API}/gateway", self._gateway_info)
        add.add_get(f"{API}/gateway/bot", self._gateway_info)
        add.add_post(API + "/channels/{channel}/messages", self._post_message)
        add.add_put(API + "/applications/{app}/commands", self._put_commands)
        add.add_put(API + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        add.add_post(API + "/interactions/{iid}/{itoken}/callback", self._callback)
        add.add_patch(API + "/webhooks/{app}/{itoken}/messages/@original", self._edit)
        add.add_post(API + "/webhooks/{app}/{itoken}", self._followup)
        add.add_get("/attachments/{path:.+}", self._attachment)  # the CDN

    async def _attachment(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if path not in self.files:
            return web.Response(status=404)
        self.downloads.append(path)
        return web.Response(body=self.files[path], content_type="application/octet-stream")

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    def _fault(self, request: web.Request) -> web.Response | None:
        for fault in self.faults:
            if fault.path_contains in request.path and fault.method in ("", request.method):
                self.faults.remove(fault)
                if fault.status == DROP:
                    assert request.transport is not None
                    request.transport.abort()  # the request was read; no answer comes
                    return json_response({})
                return json_response(fault.body, fault.status, fault.headers)
        return None

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response(UNAUTHORIZED, 401)
        return json_response({**p.bot_user(self.bot_id), "locale": "en-US"})

    async def _app_info(self, request: web.Request) -> web.Response:
        return json_response(p.app_info(self.app_id, self.bot_id))

    async def _gateway_info(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _post_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response(UNAUTHORIZED, 401)
        if fault := self._fault(request):
            return fault
        body = await request.json()
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self.nonces:
            return json_response(self.nonces[nonce])  # Discord's nonce de-duplication
        channel = request.match_info["channel"]
        if not channel.isdigit() or channel == "404":
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        if too_long := self._too_long(body):
            return too_long
        message = self._message_object(channel, body)
        self.posted.append({**body, "channel_id": channel, "id": message["id"]})
        if nonce:
            self.nonces[nonce] = message
        return json_response(message)

    def _too_long(self, body: dict[str, Any]) -> web.Response | None:
        if len(body.get("content") or "") > 2000:
            return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        return None

    def _message_object(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        bot = p.user(self.bot_id, "bot", bot=True)
        return p.message(self.next_id(), channel, body.get("content", ""), bot)

    async def _put_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response(UNAUTHORIZED, 401)
        if request.match_info["app"] != self.app_id:
            return json_response({"message": "Unknown Application", "code": 10002}, 404)
        body = await request.json()
        self.commands[request.match_info.get("guild", "global")] = body
        return json_response([p.registered_command(c, self.next_id(), self.app_id) for c in body])

    async def _callback(self, request: web.Request) -> web.Response:
        if fault := self._fault(request):
            return fault
        body = await request.json()
        iid, token = request.match_info["iid"], request.match_info["itoken"]
        self.callbacks.append({**body, "interaction_id": iid, "token": token})
        if request.query.get("with_response") not in ("1", "true"):
            return web.Response(status=204)
        return json_response(p.callback_response(iid, body["type"]))

    def _refused(self, request: web.Request) -> web.Response | None:
        if fault := self._fault(request):
            return fault
        if request.match_info["itoken"] in self.expired_tokens:
            return json_response(INVALID_TOKEN, 401)
        return None

    async def _edit(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        body = await request.json()
        if too_long := self._too_long(body):
            return too_long
        token = request.match_info["itoken"]
        self.edits.append({**body, "token": token})
        message = self._message_object(self.channel_id, body)
        message["id"] = self.originals.setdefault(token, message["id"])  # one message, edited
        return json_response(message)

    async def _followup(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        body = await request.json()
        if too_long := self._too_long(body):
            return too_long
        self.followups.append({**body, "token": request.match_info["itoken"]})
        return json_response(self._message_object(self.channel_id, body))
