"""A fake Telegram Bot API server on 127.0.0.1 (port 0), built on aiohttp, speaking the Bot
API over HTTP as python-telegram-bot calls it: `/bot<token>/<method>`, parameters in the
query string, a form (each non-string value JSON-encoded, as PTB sends them) or a JSON body,
answers `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description",
"parameters"}`.

Faithful where the adapter's correctness depends on it: `getUpdates` long polling answers as
soon as an update is queued (or after `timeout` seconds with `[]`), an `offset` confirms every
update below it (confirmed updates are never returned again, unconfirmed ones are, whatever
the client remembers), a newer `getUpdates` ends a pending one with 409 Conflict, and
`sendMessage` refuses unknown chats and texts over 4,096 characters with 400, and checks a
`parse_mode=HTML` text as Telegram parses it (tests/fake_telegram_html.py: 400 "can't parse
entities" otherwise; the limit counts the text shown). Faults are queued per method: an HTTP
status (5xx, 429 with `retry_after`, any with a `description`), or a stall (the request is
read and never answered, the socket left open)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from tests.fake_telegram_html import shown

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Agent", "username": "agent_runtime_bot"}
Json = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Fault:
    """An answer in place of the method's own: `status` (with `retry_after` for 429, and
    the Bot API's `description`), or `stall` (read the request, never answer)."""

    status: int = 500
    retry_after: int = 0
    stall: bool = False
    description: str = ""


@dataclass(frozen=True)
class Sent:
    """A message the bot sent: its text as sent, and with which `parse_mode`."""

    chat_id: int
    message_id: int
    text: str
    reply_to: int | None
    at: float = field(default_factory=time.monotonic)
    parse_mode: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.parameters = status, parameters


class FakeTelegram:
    """The server's state; `app()` serves it. Tests queue messages with `say`, read what the
    bot sent in `sent`, and queue faults with `fault`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[Json] = []  # queued, not yet confirmed
        self.sent: list[Sent] = []
        self.commands: list[Json] = []
        self.offsets: list[int] = []  # the offset of each getUpdates call, in order
        self.faults: dict[str, list[Fault]] = {}
        self.calls: dict[str, int] = {}
        self._chats: dict[int, Json] = {}
        self._update_ids = itertools.count(1001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._queued = asyncio.Event()
        self._poll: asyncio.Future[None] | None = None
        self._sent_event = asyncio.Event()
        self._listeners: dict[int, asyncio.Queue[Sent]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.downloads: list[str] = []  # the file paths downloaded, in order

    # --- what tests do ---------------------------------------------------------------------

    def say(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 42,
        first_name: str = "Ada",
        chat_type: str = "private",
        title: str = "",
        caption: bool = False,
        reply_to_bot: bool = False,
        kind: str = "message",
    ) -> Json:
        """Queues an update carrying a user's message; returns the message."""
        chat: Json = {"id": chat_id, "type": chat_type}
        chat.update({"title": title} if title else {"first_name": first_name})
        self._chats[chat_id] = chat
        message: Json = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            ("caption" if caption else "text"): text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            key = "caption_entities" if caption else "entities"
            message[key] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": chat,
                "from": BOT,
                "text": "an earlier answer",
            }
        self.updates.append({"update_id": next(self._update_ids), kind: message})
        self._queued.set()
        return message

    def send_document(
        self, chat_id: int, name: str, data: bytes, mime: str = "", caption: str = "", **kw: Any
    ) -> Json:
        """Queues a user's document (with `caption`, possibly empty), served by `getFile` and
        `/file/bot<token>/<file_path>`; `say`'s keywords apply."""
        message = self.say(chat_id, caption, caption=True, **kw)
        if not caption:
            del message["caption"]
        file_id = f"doc-{len(self.files) + 1}"
        self.files[file_id] = (f"documents/{file_id}-{name}", data)
        message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                               "file_name": name, "file_size": len(data)}  # fmt: skip
        if mime:
            message["document"]["mime_type"] = mime
        return message

    def redeliver(self, message: Json) -> None:
        """Queues `message` again in a new update, as after a bot that handled it but did not
        get to acknowledge it (the gateway's journal must recognise it)."""
        self.updates.append({"update_id": next(self._update_ids), "message": message})
        self._queued.set()

    def fault(self, method: str, *faults: Fault) -> None:
        """The next calls of `method` get these answers, one each, in order."""
        self.faults.setdefault(method, []).extend(faults)

    def replies(self, chat_id: int) -> asyncio.Queue[Sent]:
        """A queue of what the bot sends to `chat_id` from now on."""
        return self._listeners.setdefault(chat_id, asyncio.Queue())

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    async def wait_sent(self, count: int, within: float = 10.0) -> list[Sent]:
        """Waits until `count` messages were sent in all; TimeoutError past `within` s."""
        async with asyncio.timeout(within):
            while len(self.sent) < count:
                self._sent_event.clear()
                await self._sent_event.wait()
        return self.sent

    # --- the Bot API -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        found = [data for p, data in self.files.values() if p == path]
        if request.match_info["token"] != self.token or not found:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        return web.Response(body=found[0], content_type="application/octet-stream")

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        params = await _params(request)
        self.calls[method] = self.calls.get(method, 0) + 1
        pending = self.faults.get(method)
        if pending:
            fault = pending.pop(0)
            if fault.stall:
                await asyncio.Event().wait()  # until the client gives up or the server stops
            extra = {"retry_after": fault.retry_after} if fault.retry_after else {}
            text = "Too Many Requests: retry after" if fault.status == 429 else "Internal"
            text = fault.description or text
            return _error(ApiError(fault.status, text, **extra))
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            result = await handler(params)
        except ApiError as exc:
            return _error(exc)
        return web.json_response({"ok": True, "result": result})

    async def _m_getFile(self, p: Json) -> Json:
        file_id = str(p.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                "file_path": path}  # fmt: skip

    async def _m_getMe(self, p: Json) -> Json:
        return {**BOT, "can_join_groups": True, "can_read_all_group_messages": False}

    async def _m_deleteWebhook(self, p: Json) -> bool:
        return True

    async def _m_setMyCommands(self, p: Json) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for c in commands:
            name, desc = str(c.get("command", "")), str(c.get("description", ""))
            ok = 1 <= len(name) <= 32 and all(
                ch.islower() or ch.isdigit() or ch == "_" for ch in name
            )
            if not ok or not 1 <= len(desc) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    async def _m_getUpdates(self, p: Json) -> list[Json]:
        offset, timeout = int(p.get("offset", 0)), float(p.get("timeout", 0))
        limit = int(p.get("limit", 100)) or 100
        allowed = p.get("allowed_updates")
        self.offsets.append(offset)
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(None)  # the older request ends with 409
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._poll = mine
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            ready = self._ready(offset, allowed)
            if ready or time.monotonic() >= deadline:
                return ready[:limit]
            self._queued.clear()
            queued = asyncio.ensure_future(self._queued.wait())
            waits: list[asyncio.Future[Any]] = [queued, mine]
            await asyncio.wait(
                waits, timeout=deadline - time.monotonic(), return_when="FIRST_COMPLETED"
            )
            queued.cancel()
            if mine.done():
                raise ApiError(409, "Conflict: terminated by other getUpdates request")

    def _ready(self, offset: int, allowed: Any) -> list[Json]:
        updates = self.updates[offset:] if offset < 0 else self.updates
        if isinstance(allowed, list) and allowed:
            updates = [u for u in updates if any(k in u for k in allowed)]
        return updates

    async def _m_sendMessage(self, p: Json) -> Json:
        try:
            chat_id = int(p.get("chat_id", ""))
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None
        chat, text = self._chats.get(chat_id), str(p.get("text", ""))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        parse_mode = p.get("parse_mode") or None
        try:
            shows = shown(text, parse_mode)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        if not shows.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shows) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        reply = p.get("reply_parameters") or {}
        reply_to = reply.get("message_id", p.get("reply_to_message_id"))
        reply_to = reply_to and int(reply_to)
        sent = Sent(chat_id, self._next_message_id(chat_id), text, reply_to, parse_mode=parse_mode)
        self.sent.append(sent)
        self._sent_event.set()
        if chat_id in self._listeners:
            self._listeners[chat_id].put_nowait(sent)
        return {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT,
            "text": text,
        }

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))


async def _params(request: web.Request) -> Json:
    """The Bot API's parameters, from the query string, a form or a JSON body; form and
    query values that are JSON (numbers, lists, objects) are decoded, as Telegram does."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json())
        return raw
    if request.can_read_body:
        raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return {k: _decode(v) for k, v in raw.items()}


def _decode(value: Any) -> Any:
    if not isinstance(value, str) or value[:1] not in ("[", "{"):
        return value
    with contextlib.suppress(ValueError):
        return json.loads(value)
    return value


def _error(exc: ApiError) -> web.Response:
    body: Json = {"ok": False, "error_code": exc.status, "description": str(exc)}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


@contextlib.asynccontextmanager
async def serving_telegram(
    fake: FakeTelegram | None = None,
) -> AsyncIterator[tuple[FakeTelegram, str]]:
    """Serves a fake on 127.0.0.1 port 0; yields it and its API base (`http://127.0.0.1:N`)."""
    fake = fake or FakeTelegram()
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class ThreadedTelegram:
    """A fake served from a thread of its own (its own event loop), for tests that run the
    services as processes and wait synchronously. `call(fn)` runs `fn(fake)` on that loop."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="fake-telegram", daemon=True)
        self.api_base = ""
        self._fake: FakeTelegram | None = None

    def start(self) -> ThreadedTelegram:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fake Telegram server did not start")
        return self

    def call(self, fn: Callable[[FakeTelegram], T]) -> T:
        async def run() -> T:
            assert self._fake is not None
            return fn(self._fake)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        left = asyncio.all_tasks(self._loop)  # requests still waiting (a long poll)
        for task in left:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serving_telegram() as (fake, api_base):
            self._fake, self.api_base = fake, api_base
            self._started.set()
            await self._stop.wait()
