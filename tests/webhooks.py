"""A fake receiver of codex/cline/gemini notices (REFERENCE.md §4.8) on 127.0.0.1, port 0:
it records every POST (body and Idempotency-Key) and answers with the statuses a test
scripts (default 200), optionally holding a request until released, so a test can kill the
sender while its request is in flight. Served by uvicorn in a thread of its own, so tests of
in-process services and of subprocesses can both use it."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.asgi_thread import ThreadedAsgi


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
    _served: ThreadedAsgi = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._served = ThreadedAsgi(self, "fake-webhook")

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
            self.held.set()
            await self._served.released.wait()
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
        self._served.release()

    def start(self) -> FakeWebhook:
        self.port = self._served.start()
        return self

    def stop(self) -> None:
        self.release()
        self._served.stop()
