"""Backend settings a user relies on: the PostgreSQL pool never opens more connections than
AGENT_RUNTIME_DB_POOL_SIZE."""

from __future__ import annotations

import asyncio

import pytest

from store_svc.db import Conn, open_database


async def _most_connections_seen(url: str, pool_size: int) -> int:
    db = open_database(url, pool_size=pool_size)

    def count(c: Conn) -> int:
        c.one("SELECT pg_sleep(0.05)")
        row = c.one("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()")
        assert row is not None
        return int(row["n"])

    try:
        return max(await asyncio.gather(*(db.read(count) for _ in range(12))))
    finally:
        await db.close()


async def test_postgres_pool_size_caps_connections(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no connection pool")
    assert await _most_connections_seen(db_url, 2) == 2
    assert await _most_connections_seen(db_url, 4) > 2
