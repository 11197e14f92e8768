"""The seam between domain code and a database backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

Row = dict[str, Any]
T = TypeVar("T")


class Conn(Protocol):
    """A connection inside a transaction. SQL is portable, with `:name` parameters."""

    #: appended to the SELECT of a claim: "FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite
    skip_locked: str
    #: appended to a SELECT that precedes an UPDATE of the same row: "FOR UPDATE" on
    #: PostgreSQL, "" on SQLite (whose writes are serialized already)
    for_update: str

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a statement and return every row."""
        ...

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        """Run a statement and return its first row, or None."""
        ...

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement and return the number of rows it changed."""
        ...


class Database(Protocol):
    """Runs synchronous units of work off the event loop, each in one transaction."""

    async def read(self, fn: Callable[[Conn], T]) -> T:
        """Run `fn` on a read connection."""
        ...

    async def write(self, fn: Callable[[Conn], T]) -> T:
        """Run `fn` in a write transaction; an exception rolls back `fn`'s changes only."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


def open_database(url: str, pool_size: int = 8, busy_timeout_ms: int = 30_000) -> Database:
    """`sqlite:///path` (waiting up to `busy_timeout_ms` for a locked file) or
    `postgresql://…` (with `pool_size` pooled connections); migrations must have been applied."""
    if url.startswith("sqlite"):
        from store_svc.db.sqlite import SqliteDatabase

        return SqliteDatabase(sqlite_path(url), busy_timeout_ms=busy_timeout_ms)
    from store_svc.db.postgres import PostgresDatabase

    return PostgresDatabase(libpq_url(url), pool_size)


def sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1] if ":///" in url else ":memory:"


def libpq_url(url: str) -> str:
    """psycopg wants plain `postgresql://`; SQLAlchemy wants `postgresql+psycopg://`."""
    scheme, rest = url.split("://", 1)
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    if url.startswith("sqlite"):
        return url
    return "postgresql+psycopg://" + url.split("://", 1)[1]
