"""An ASGI app served by uvicorn on 127.0.0.1, port 0, from a thread of its own (its own event
loop), so sync tests (services as processes) and async tests can both use the fakes built on
it (`tests.fake_llm`, `tests.webhooks`)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn


class ThreadedAsgi:
    """`released` is an event of the serving loop that the app's held requests wait on:
    `release()` sets it from any thread, and `stop()` does, so nothing held outlives the fake."""

    def __init__(self, app: Any, name: str) -> None:
        self._app = app
        self._name = name
        self.port = 0
        self.released = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> int:
        """Serves the app; returns its port once the serving loop runs."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.released = asyncio.Event()
        server = self._server = uvicorn.Server(
            uvicorn.Config(self._app, log_level="warning", lifespan="off")
        )
        ready = threading.Event()

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            loop.call_soon(ready.set)
            loop.run_until_complete(server.serve(sockets=[sock]))
            loop.close()

        self._thread = threading.Thread(target=serve, name=self._name, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.port

    def release(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.released.set)

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
