"""A fake receiver of codex/cline/gemini notices (REFERENCE.md §4.8) on 127.0.0.1, port 0:
it records every POST (body and Idempotency-Key) and answers with the statuses a test
scripts (default 200), optionally holding a request until released, so a test can kill the
sender while its request is in flight. Served by uvicorn in a thread of its own, so tests of
in-process services and of subprocesses can both use it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass(frozen=True)
class Post:
    key: str
    body: dict[str, Any]
    authorization: str = ""
    at: float = 0.0  # arrival, unix seconds


@dataclass
class FakeWebhook:
    posts: list[Post] = field(default_factory=list)
    # answers for the next requests, in order: a status, or (status, retry-after seconds)
    script: deque[int | tuple[int, float]] = field(default_factory=deque)
    hold: bool = False  # hold every request until `release()` (or the fake stops)
    held: threading.Event = field(default_factory=threading.Event)  # a request is held
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _release: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    def texts(self) -> list[str]:
        return [str(p.body.get("text", "")) for p in self.posts]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        post = Post(
            headers.get("idempotency-key", ""),
            json.loads(b"".join(chunks) or b"{}"),
            headers.get("authorization", ""),
            time.time(),
        )
        self.posts.append(post)
        if self.hold:
            assert self._release is not None
            self.held.set()
            await self._release.wait()
        answer = self.script.popleft() if self.script else 200
        status, retry_after = answer if isinstance(answer, tuple) else (answer, None)
        out = [(b"content-type", b"application/json")]
        if retry_after is not None:
            out.append((b"retry-after", str(retry_after).encode()))
        out.append((b"x-message-id", f"m{len(self.posts)}".encode()))
        data = json.dumps({"ok": status < 300}).encode()
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": data})

    def release(self) -> None:
        self.hold = False
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def start(self) -> FakeWebhook:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self, log_level="warning", lifespan="off"))
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop, self._release = loop, asyncio.Event()
            loop.call_soon(ready.set)
            assert self._server is not None
            loop.run_until_complete(self._server.serve(sockets=[sock]))
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-webhook", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
