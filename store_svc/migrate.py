"""Apply Alembic migrations (run at start, before serving)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from store_svc.db.base import sqlalchemy_url, sqlite_path
from store_svc.db.sqlite_open import DEFAULT_BUSY_TIMEOUT_MS, connect, enable_wal

_SCRIPTS = Path(__file__).parent / "migrations"


def _engine(url: str, busy_timeout_ms: int) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(sqlalchemy_url(url), poolclass=NullPool)
    path = sqlite_path(url)
    enable_wal(path, busy_timeout_ms)

    # Our own connection (busy timeout, explicit transactions), and every transaction
    # `BEGIN IMMEDIATE`: a migration waits for a running store's writer instead of failing
    # when its deferred transaction would have to upgrade to a write lock.
    def creator() -> sqlite3.Connection:
        raw = connect(path, busy_timeout_ms)  # autocommit: pysqlite never BEGINs by itself
        raw.row_factory = None  # SQLAlchemy wants plain tuples
        return raw

    engine = create_engine("sqlite://", poolclass=NullPool, creator=creator)

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(
    url: str, revision: str = "head", busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> None:
    """Bring the database at `url` to `revision` (blocking; call via asyncio.to_thread)."""
    engine = _engine(url, busy_timeout_ms)
    try:
        with engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(_SCRIPTS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = _engine(url, DEFAULT_BUSY_TIMEOUT_MS)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
