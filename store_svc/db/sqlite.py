"""SQLite backend: WAL, foreign keys, busy timeout; one writer thread with group commit.

Concurrent writers are queued to a single thread that applies whatever is waiting in one
transaction (each unit under its own SAVEPOINT, so one failure rolls back only itself) and
commits once. Nobody ever sees "database is locked", and the disk is synced once per batch.
Readers use their own connections on a small thread pool."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from store_svc.db.base import Row

T = TypeVar("T")
_MAX_BATCH = 256
_Job = tuple[Callable[[Any], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


def _dict_row(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = _dict_row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


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
    def __init__(self, path: str, readers: int = 2) -> None:
        self._path = path
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
            conn = self._local.conn = SqliteConn(connect(self._path))
            with self._lock:
                self._readers.append(conn.raw)
        conn.raw.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.raw.execute("COMMIT")

    async def write(self, fn: Callable[[SqliteConn], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, fut, loop))
        return await fut

    def _write_loop(self) -> None:
        conn = SqliteConn(connect(self._path))
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
                    outcomes.append((False, exc))
            conn.raw.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing was applied
            if conn.raw.in_transaction:
                conn.raw.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
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
