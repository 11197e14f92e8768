"""PostgreSQL backend: a psycopg 3 connection pool; each unit of work is one transaction.

Units run on a thread pool as large as the connection pool, so the event loop never waits
on the network. Claims add FOR UPDATE SKIP LOCKED so concurrent claimers never block on or
receive the same row."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from store_svc.db.base import Row

T = TypeVar("T")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """`:name` → `%(name)s` (our SQL never contains a literal `%` or `::` cast)."""
    return _PARAM.sub(r"%(\1)s", sql)


class PgConn:
    skip_locked = "FOR UPDATE SKIP LOCKED"
    for_update = "FOR UPDATE"

    def __init__(self, raw: psycopg.Connection[Row]) -> None:
        self.raw = raw
        self._cur = raw.cursor()  # one cursor per unit of work, not one per statement

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        cur = self._cur.execute(to_pyformat(sql), params or {})
        return cur.fetchall() if cur.description else []

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        cur = self._cur.execute(to_pyformat(sql), params or {})
        return cur.fetchone() if cur.description else None

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        cur = self._cur.execute(to_pyformat(sql), params or {})
        return int(cur.rowcount)


class PostgresDatabase:
    def __init__(self, url: str, size: int = 8) -> None:
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            min_size=min(2, size),
            max_size=size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            open=True,
        )
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="pg")

    async def read(self, fn: Callable[[PgConn], T]) -> T:
        return await self._submit(fn)

    async def write(self, fn: Callable[[PgConn], T]) -> T:
        return await self._submit(fn)

    async def _submit(self, fn: Callable[[PgConn], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._run, fn)

    def _run(self, fn: Callable[[PgConn], T]) -> T:
        with self._pool.connection() as raw, raw.transaction():
            return fn(PgConn(raw))

    async def close(self) -> None:
        await asyncio.to_thread(self._threads.shutdown, True)
        await asyncio.to_thread(self._pool.close)
