"""Opening SQLite connections that wait for a busy database instead of failing.

Every connection gets the same busy timeout. The file is switched to WAL once, by one
connection, before any other of ours opens it: two connections switching a fresh file at
the same moment fail with "database is locked" at once, whatever their busy timeout. A
database still busy past the timeout is `Unavailable` (retryable), never an internal error."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from svckit.errors import Unavailable

DEFAULT_BUSY_TIMEOUT_MS = 30_000
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _dict_row(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def connect(path: str, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) on a WAL file."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = _dict_row
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def enable_wal(path: str, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
    """Switch the file to WAL (a no-op once it is). Another process may be switching it
    too, and the switch does not wait on the busy timeout: retry until the timeout."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise translate(exc) from exc
        finally:
            conn.close()
        time.sleep(0.01)


def is_busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF in _BUSY


def translate(exc: BaseException) -> BaseException:
    """SQLITE_BUSY/LOCKED past the busy timeout becomes `Unavailable`; others unchanged."""
    if is_busy(exc):
        return Unavailable(f"database busy, try again: {exc}", reason="sqlite_busy")
    return exc
