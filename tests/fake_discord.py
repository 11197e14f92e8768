"""A fake Discord on 127.0.0.1 that speaks the wire protocol discord.py speaks: REST under
`/api/v10` and the gateway websocket (HELLO, IDENTIFY/READY, heartbeats, RESUME/RESUMED with the
missed events replayed, op 7 RECONNECT, zlib-stream transport compression).

Tests drive it as Discord would: `dispatch` a MESSAGE_CREATE or INTERACTION_CREATE, `drop` the
socket, queue `faults` for the next REST calls, and read what the bot did (`posted`,
`commands`, `callbacks`, `edits`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import zlib
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from svckit.testing import eventually
from tests import fake_discord_payloads as p

T = TypeVar("T")
DROP = 0  # a Fault status: the connection is cut after the request was read
HELLO, IDENTIFY, HEARTBEAT, HEARTBEAT_ACK, RESUME, RECONNECT, INVALID = 10, 2, 1, 11, 6, 7, 9


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py parses a body only when Content-Type is exactly application/json.
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)


@dataclass
class Fault:
    """The answer to the next matching REST call instead of the real one."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str = "/messages"


@dataclass
class Session:
    session_id: str
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)


class _Conn:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request, zlib_stream: bool) -> None:
        self.ws, self.request = ws, request
        self.compressor = zlib.compressobj() if zlib_stream else None
        self.session: Session | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(raw)
            return
        data = self.compressor.compress(raw.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        await self.ws.send_bytes(data)


class FakeDiscord:
    """One bot account, its application, one guild with one text channel, and a gateway."""

    def __init__(
        self,
        token: str = "fake-token",
        *,
        app_id: str = "9000",
        bot_id: str = "7000",
        guild_id: str = "5000",
        channel_id: str = "5001",
    ) -> None:
        self.token, self.app_id, self.bot_id = token, app_id, bot_id
        self.guild_id, self.channel_id = guild_id, channel_id
        self.ids = itertools.count(100_000)
        self.posted: list[dict[str, Any]] = []  # messages the bot posted (channel_id added)
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.callbacks: list[dict[str, Any]] = []  # interaction callbacks (interaction_id added)
        self.edits: list[dict[str, Any]] = []  # edits of original interaction responses
        self.followups: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.gateway_queries: list[dict[str, str]] = []
        self._nonces: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # attachment path on this server -> content
        self.downloads: list[str] = []
        self._sessions: dict[str, Session] = {}
        self._current: Session | None = None
        self._conn: _Conn | None = None
        self._runner: web.AppRunner | None = None
        self.base = ""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._app_info)
        app.router.add_get(f"{api}/gateway", self._gateway_info)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_info)
        app.router.add_post(api + "/channels/{channel}/messages", self._post_message)
        app.router.add_put(api + "/applications/{app}/commands", self._put_commands)
        app.router.add_put(api + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        app.router.add_post(api + "/interactions/{iid}/{itoken}/callback", self._callback)
        app.router.add_patch(api + "/webhooks/{app}/{itoken}/messages/@original", self._edit)
        app.router.add_post(api + "/webhooks/{app}/{itoken}", self._followup)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{path:.+}", self._attachment)  # the CDN
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/gateway"

    # -- what tests do ---------------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self.ids))

    @property
    def session(self) -> Session | None:
        """The gateway session the bot identified last (kept across resumes)."""
        return self._current

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.session is not None

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Sends a dispatch on the session; while the socket is down it waits for a RESUME
        (Discord keeps a resumable session's events and replays them)."""
        session = self._current
        assert session is not None, "no session: the bot never identified"
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        conn = self._conn
        if conn is not None and conn.session is session:
            await conn.send(payload)

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

    async def drop(self) -> None:
        """Cuts the socket without a close frame (a network drop); the session stays resumable."""
        conn = self._conn
        assert conn is not None
        self._conn = None
        transport = conn.request.transport
        assert transport is not None
        transport.abort()

    async def reconnect_op(self) -> None:
        """Asks the bot to reconnect (op 7), as Discord does before moving a session."""
        assert self._conn is not None
        await self._conn.send({"op": RECONNECT, "d": None})

    # -- REST ------------------------------------------------------------------------------

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
            if fault.path_contains in request.path:
                self.faults.remove(fault)
                if fault.status == DROP:
                    assert request.transport is not None
                    request.transport.abort()  # the request was read; no answer comes
                    return json_response({})
                return json_response(fault.body, fault.status, fault.headers)
        return None

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        return json_response({**p.bot_user(self.bot_id), "locale": "en-US"})

    async def _app_info(self, request: web.Request) -> web.Response:
        return json_response(p.app_info(self.app_id, self.bot_id))

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _post_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        if fault := self._fault(request):
            return fault
        body = await request.json()
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self._nonces:
            return json_response(self._nonces[nonce])  # Discord's nonce de-duplication
        channel = request.match_info["channel"]
        if not channel.isdigit() or channel == "404":
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        if len(body.get("content") or "") > 2000:
            return json_response({"message": "Invalid Form Body", "code": 50035}, 400)
        message = self._message_object(channel, body)
        self.posted.append({**body, "channel_id": channel, "id": message["id"]})
        if nonce:
            self._nonces[nonce] = message
        return json_response(message)

    def _message_object(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        bot = p.user(self.bot_id, "bot", bot=True)
        return p.message(self.next_id(), channel, body.get("content", ""), bot)

    async def _put_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        if request.match_info["app"] != self.app_id:
            return json_response({"message": "Unknown Application", "code": 10002}, 404)
        body = await request.json()
        scope = request.match_info.get("guild", "global")
        self.commands[scope] = body
        out = [
            {
                **c,
                "id": self.next_id(),
                "application_id": self.app_id,
                "version": "1",
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
            }
            for c in body
        ]
        return json_response(out)

    async def _callback(self, request: web.Request) -> web.Response:
        if fault := self._fault(request):
            return fault
        body = await request.json()
        iid = request.match_info["iid"]
        self.callbacks.append(
            {**body, "interaction_id": iid, "token": request.match_info["itoken"]}
        )
        if request.query.get("with_response") not in ("1", "true"):
            return web.Response(status=204)
        return json_response(
            {
                "interaction": {
                    "id": iid,
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": False,
                },
                "resource": {"type": body["type"]},
            }
        )

    async def _edit(self, request: web.Request) -> web.Response:
        if fault := self._fault(request):
            return fault
        body = await request.json()
        self.edits.append({**body, "token": request.match_info["itoken"]})
        return json_response(self._message_object(self.channel_id, body))

    async def _followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.followups.append({**body, "token": request.match_info["itoken"]})
        return json_response(self._message_object(self.channel_id, body))

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        query = dict(request.query)
        self.gateway_queries.append(query)
        compress = query.get("compress")
        if query.get("encoding") != "json" or compress not in (None, "zlib-stream"):
            raise web.HTTPBadRequest(text=f"unsupported gateway query {query}")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws, request, compress == "zlib-stream")
        if self._conn is not None:
            await self._conn.ws.close(code=4000)
        self._conn = conn
        await conn.send({"op": HELLO, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            await self._gateway_op(conn, json.loads(msg.data))
        if self._conn is conn:
            self._conn = None
        return ws

    async def _gateway_op(self, conn: _Conn, payload: dict[str, Any]) -> None:
        op, d = payload["op"], payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            self.identifies.append(d)
            if d["token"] != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            await self._identify(conn)
        elif op == RESUME:
            self.resumes.append(d)
            session = self._sessions.get(d["session_id"])
            if session is None or d["token"] != self.token:
                await conn.send({"op": INVALID, "d": False})
                return
            conn.session = self._current = session
            for event in session.events:
                if event["s"] > (d["seq"] or 0):
                    await conn.send(event)
            session.seq += 1
            await conn.send({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})

    async def _identify(self, conn: _Conn) -> None:
        session = Session(session_id=f"session-{self.next_id()}")
        self._sessions[session.session_id] = session
        conn.session = self._current = session
        url = self.gateway_url
        ready = p.ready(self.bot_id, self.app_id, self.guild_id, session.session_id, url)
        await self.dispatch("READY", ready)
        await self.dispatch(
            "GUILD_CREATE", p.guild_create(self.guild_id, self.channel_id, self.bot_id)
        )


async def wait_connected(fake: FakeDiscord) -> None:
    await eventually(lambda: fake.connected, "the bot on the fake gateway")


class ThreadedFakeDiscord:
    """A FakeDiscord on its own event loop in a thread, for synchronous tests that drive
    processes (the whole stack): `run(fake.message(...))` runs a coroutine over there."""

    def __init__(self) -> None:
        self.fake = FakeDiscord()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedFakeDiscord:
        self._thread.start()
        self.run(self.fake.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self.fake.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)
