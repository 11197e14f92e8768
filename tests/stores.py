"""A real store_svc for tests of its callers: migrated SQLite in a temporary folder, served on
port 0 with mTLS, closed afterwards."""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

from store_svc.common import Clock
from store_svc.config import StoreSettings
from store_svc.db import open_database
from store_svc.db.base import sqlite_path
from store_svc.db.sqlite_open import DEFAULT_BUSY_TIMEOUT_MS
from store_svc.deps import Deps
from store_svc.migrate import upgrade
from store_svc.server import build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports


@functools.lru_cache(maxsize=1)
def _sqlite_head() -> Path:
    """A SQLite database migrated to head once per test process (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="store-head-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "head.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


def migrated(url: str, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
    """Bring the database at `url` to head. A SQLite file that does not exist yet is a copy of
    one migrated once per session (the same schema, in a millisecond instead of most of a
    second); anything else is migrated as the store migrates it."""
    path = sqlite_path(url) if url.startswith("sqlite") else ""
    if path and path != ":memory:" and not Path(path).exists():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(_sqlite_head())) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return
    upgrade(url, busy_timeout_ms=busy_timeout_ms)


@asynccontextmanager
async def serving_store(
    pki: PkiPaths, data_dir: Path, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[Ports]:
    """`settings` override StoreSettings fields (e.g. task_retry_base_ms=1)."""
    store_settings = StoreSettings(
        data_dir=data_dir, pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, **settings
    )
    url, busy_ms = store_settings.database_url, store_settings.db_busy_timeout_ms
    migrated(url, busy_ms)
    db = open_database(url, busy_timeout_ms=busy_ms)
    try:
        deps = Deps(db, clock) if clock else Deps(db)
        async with testing.serving(build_server(store_settings, deps)) as ports:
            yield ports
    finally:
        await db.close()
