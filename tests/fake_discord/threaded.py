"""The fake Discord for synchronous tests, and waiting for the bot's session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from svckit.testing import eventually
from tests.fake_discord.server import FakeDiscord

T = TypeVar("T")


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
