"""New work announced across store replicas on one PostgreSQL: `LISTEN/NOTIFY`.

Each replica listens on one channel with its own connection and, when it makes work
claimable, sends one `pg_notify` naming itself and the lane ranks (wake-ups that pile up
while one is being sent travel together). A notice from another replica wakes this
replica's long-polling claimers at once; a replica ignores its own. When the listening
connection drops, it reconnects and wakes every waiter once (it may have missed a notice)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import psycopg

from store_svc.wakeups import Wakeups

log = logging.getLogger("store.pg_wakeups")
CHANNEL = "agent_runtime_tasks"


def encode(origin: str, ranks: frozenset[int] | None) -> str:
    return f"{origin}|{'*' if ranks is None else ','.join(map(str, sorted(ranks)))}"


def decode(payload: str) -> tuple[str, frozenset[int] | None]:
    origin, _, lanes = payload.partition("|")
    if lanes == "*" or not lanes:
        return origin, None
    return origin, frozenset(int(x) for x in lanes.split(",") if x.isdigit())


class PgWakeRelay:
    def __init__(self, url: str, wake: Wakeups) -> None:
        self._url, self._wake = url, wake
        self.origin = secrets.token_hex(6)
        self._pending: set[int] | None = set()
        self._dirty = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._wake.publish = self._publish
        self._tasks = [
            asyncio.create_task(self._listen(), name="pg-listen"),
            asyncio.create_task(self._send(), name="pg-notify"),
        ]
        # serve once listening (a notice sent before would be missed); a database that is
        # slow to answer leaves the re-check meanwhile
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        self._wake.publish = None
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _publish(self, ranks: frozenset[int] | None) -> None:
        if self._pending is not None:
            self._pending = None if ranks is None else self._pending | ranks
        self._dirty.set()

    async def _send(self) -> None:
        conn: psycopg.AsyncConnection[object] | None = None
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            ranks = None if self._pending is None else frozenset(self._pending)
            self._pending = set()
            try:
                if conn is None or conn.closed:
                    conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                await conn.execute(
                    "SELECT pg_notify(%s, %s)", (CHANNEL, encode(self.origin, ranks))
                )
            except psycopg.Error as exc:  # the others fall back to their re-check
                log.warning("pg_notify failed: %s", exc)
                conn = None
                await asyncio.sleep(0.5)

    async def _listen(self) -> None:
        pause = 0.1
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._wake.notify_local(None)  # anything missed while not listening
                    pause = 0.1
                    async for notice in conn.notifies():
                        origin, ranks = decode(notice.payload)
                        if origin != self.origin:
                            self._wake.notify_local(ranks)
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("LISTEN connection lost: %s", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
