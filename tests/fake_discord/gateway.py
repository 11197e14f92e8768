"""The fake Discord's gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME/RESUMED
with the missed events replayed, and what Discord sends to move a session: op 7 RECONNECT and
op 9 INVALID_SESSION (resumable or not)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_discord import payloads as p
from tests.fake_discord.state import Conn, FakeState, Session

HELLO, IDENTIFY, HEARTBEAT, HEARTBEAT_ACK, RESUME, RECONNECT, INVALID = 10, 2, 1, 11, 6, 7, 9


class GatewayApi(FakeState):
    def add_gateway_routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._gateway)

    @property
    def session(self) -> Session | None:
        """The gateway session the bot identified last (kept across resumes)."""
        return self.current

    @property
    def connected(self) -> bool:
        return self.conn is not None and self.conn.session is not None

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Sends a dispatch on the session; while the socket is down it waits for a RESUME
        (Discord keeps a resumable session's events and replays them)."""
        session = self.current
        assert session is not None, "no session: the bot never identified"
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        conn = self.conn
        if conn is not None and conn.session is session:
            await conn.send(payload)

    async def drop(self) -> None:
        """Cuts the socket without a close frame (a network drop); the session stays resumable."""
        conn = self.conn
        assert conn is not None
        self.conn = None
        transport = conn.request.transport
        assert transport is not None
        transport.abort()

    async def reconnect_op(self) -> None:
        """Asks the bot to reconnect (op 7), as Discord does before moving a session."""
        assert self.conn is not None
        await self.conn.send({"op": RECONNECT, "d": None})

    async def invalid_session(self, resumable: bool) -> None:
        """Sends op 9 INVALID_SESSION. `resumable` (d=true): the bot may RESUME the session;
        otherwise the session is forgotten, so the bot must IDENTIFY anew (a RESUME of it
        would be refused)."""
        conn = self.conn
        assert conn is not None and conn.session is not None
        if not resumable:
            del self.sessions[conn.session.session_id]
            conn.session = None
        await conn.send({"op": INVALID, "d": resumable})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        query = dict(request.query)
        self.gateway_queries.append(query)
        if self.gateway_down:
            raise web.HTTPServiceUnavailable(text="gateway unavailable")
        compress = query.get("compress")
        if query.get("encoding") != "json" or compress not in (None, "zlib-stream"):
            raise web.HTTPBadRequest(text=f"unsupported gateway query {query}")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Conn(ws, request, compress == "zlib-stream")
        if self.conn is not None:
            await self.conn.ws.close(code=4000)
        self.conn = conn
        await conn.send({"op": HELLO, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            await self._gateway_op(conn, json.loads(msg.data))
        if self.conn is conn:
            self.conn = None
        return ws

    async def _gateway_op(self, conn: Conn, payload: dict[str, Any]) -> None:
        op = payload["op"]
        d: Any = payload.get("d")
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
            await self._resume(conn, d)

    async def _resume(self, conn: Conn, d: dict[str, Any]) -> None:
        self.resumes.append(d)
        session = self.sessions.get(d["session_id"])
        if session is None or d["token"] != self.token:
            await conn.send({"op": INVALID, "d": False})
            return
        conn.session = self.current = session
        for event in session.events:
            if event["s"] > (d["seq"] or 0):
                await conn.send(event)
        session.seq += 1
        await conn.send({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})

    async def _identify(self, conn: Conn) -> None:
        session = Session(session_id=f"session-{self.next_id()}")
        self.sessions[session.session_id] = session
        conn.session = self.current = session
        url = self.gateway_url
        ready = p.ready(self.bot_id, self.app_id, self.guild_id, session.session_id, url)
        await self.dispatch("READY", ready)
        await self.dispatch(
            "GUILD_CREATE", p.guild_create(self.guild_id, self.channel_id, self.bot_id)
        )
