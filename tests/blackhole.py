"""A TCP proxy on 127.0.0.1 that can turn into a black hole: once `cut()`, it passes nothing
on in either direction but keeps both sockets open, as a dead host, a network partition or a
dropped NAT entry does (no FIN, no RST reaches either end). Until then bytes go through
unchanged and are counted per direction. Built on asyncio streams."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class BlackholeProxy:
    """`async with BlackholeProxy(port).running() as proxy:` then connect to `proxy.port`."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self._cut = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        # bytes passed on: client -> server ("up") and server -> client ("down")
        self.passed = {"up": 0, "down": 0}
        self.dropped = {"up": 0, "down": 0}
        self.port = 0

    def cut(self) -> None:
        """From now on, drop every byte that arrives, both ways; close nothing."""
        self._cut = True

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[BlackholeProxy]:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for writer in self._writers:
                writer.close()
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream)
        self._writers += [writer, up_writer]
        for task in (
            asyncio.create_task(self._pump(reader, up_writer, "up")),
            asyncio.create_task(self._pump(up_reader, writer, "down")),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, way: str) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await src.read(65536):
                if self._cut:
                    self.dropped[way] += len(data)  # read and dropped: the sender sees no error
                    continue
                self.passed[way] += len(data)
                dst.write(data)
                await dst.drain()
            if not self._cut:
                dst.close()
