"""What the fake Discord records and serves: its ids, the bot's account, and every call the
bot made, shared by the REST routes (rest.py) and the gateway (gateway.py)."""

from __future__ import annotations

import itertools
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DROP = 0  # a Fault status: the connection is cut after the request was read


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
    method: str = ""  # only requests with this HTTP method; "" for any


@dataclass
class Session:
    """A gateway session: its sequence and every dispatch sent on it (replayed on RESUME)."""

    session_id: str
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)


class Conn:
    """One gateway websocket, optionally with zlib-stream transport compression."""

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


class FakeState:
    """One bot account, its application, one guild with one text channel."""

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
        self.followups: list[dict[str, Any]] = []  # interaction follow-up messages
        self.originals: dict[str, str] = {}  # interaction token -> original response id
        self.expired_tokens: set[str] = set()  # interaction tokens Discord no longer takes
        self.faults: list[Fault] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.gateway_queries: list[dict[str, str]] = []
        self.gateway_down = False  # True: the gateway refuses new sockets (503)
        self.nonces: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # attachment path on this server -> content
        self.downloads: list[str] = []
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.conn: Conn | None = None
        self.base = ""

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/gateway"

    def next_id(self) -> str:
        return str(next(self.ids))
