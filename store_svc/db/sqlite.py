"""SQLite backend: WAL, foreign keys, busy timeout; one writer thread with group commit.

Concurrent writers are queued to a single thread that applies whatever is waiting in one
transaction (each unit under its own SAVEPOINT, so one failure rolls back only itself) and
commits once, the disk synced once per batch. The batch starts `BEGIN IMMEDIATE`, so a
writer outside this process (a migration, a second store on the same file) makes it wait
up to the busy timeout rather than fail midway; still busy after that, the batch applies
nothing and its callers get `Unavailable`. Readers use their own connections on a small
thread pool (see sqlite_open for how connections are opened)."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from store_svc.db.base import Row
from store_svc.db.sqlite_open import DEFAULT_BUSY_TIMEOUT_MS, connect, enable_wal, translate

T = TypeVar("T")
_MAX_BATCH = 256
_Job = tuple[Callable[[Any], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


class SqliteConn:
    skip_locked = ""
    for_update = ""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self.raw.execute(sql, params or {}).fetchall()

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        row: Row | None = self.raw.execute(sql, params or {}).fetchone()
        return row

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        return self.raw.execute(sql, params or {}).rowcount


class SqliteDatabase:
    def __init__(
        self, path: str, readers: int = 2, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
    ) -> None:
        self._path = path
        self._busy_ms = busy_timeout_ms
        enable_wal(path, busy_timeout_ms)  # before the writer and readers open the file
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer", daemon=True)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(readers, thread_name_prefix="sqlite-reader")
        self._writer.start()

    async def read(self, fn: Callable[[SqliteConn], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._read, fn)

    def _read(self, fn: Callable[[SqliteConn], T]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._local.conn = SqliteConn(connect(self._path, self._busy_ms))
            except sqlite3.OperationalError as exc:
                raise translate(exc) from exc
            with self._lock:
                self._readers.append(conn.raw)
        try:
            conn.raw.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.raw.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise translate(exc) from exc

    async def write(self, fn: Callable[[SqliteConn], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, fut, loop))
        return await fut

    def _write_loop(self) -> None:
        conn = SqliteConn(connect(self._path, self._busy_ms))
        while True:
            first = self._jobs.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._jobs.put(None)
                    break
                batch.append(nxt)
            self._apply(conn, batch)
        conn.raw.close()

    def _apply(self, conn: SqliteConn, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.raw.execute("BEGIN IMMEDIATE")
            for fn, _fut, _loop in batch:
                conn.raw.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, fn(conn)))
                    conn.raw.execute("RELEASE job")
                except BaseException as exc:
                    conn.raw.execute("ROLLBACK TO job")
                    conn.raw.execute("RELEASE job")
                    outcomes.append((False, translate(exc)))
            conn.raw.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing was applied
            if conn.raw.in_transaction:
                conn.raw.execute("ROLLBACK")
            outcomes = [(False, translate(exc))] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (_fn, fut, loop), (ok, value) in zip(batch, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((fut, ok, value))
        for loop, items in by_loop.items():
            loop.call_soon_threadsafe(_resolve, items)

    async def close(self) -> None:
        self._jobs.put(None)
        await asyncio.to_thread(self._writer.join)
        self._pool.shutdown(wait=True)
        with self._lock:
            for raw in self._readers:
                raw.close()


def _resolve(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for fut, ok, value in items:
        if fut.cancelled():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
