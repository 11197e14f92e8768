"""A real store_svc for tests of its callers: migrated SQLite in a temporary folder, served on
port 0 with mTLS, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from store_svc.common import Clock
from store_svc.config import StoreSettings
from store_svc.db import open_database
from store_svc.deps import Deps
from store_svc.migrate import upgrade
from store_svc.server import build_server
from svckit import testing
from svckit.pki import PkiPaths
from svckit.serve import Ports


@asynccontextmanager
async def serving_store(
    pki: PkiPaths, data_dir: Path, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[Ports]:
    """`settings` override StoreSettings fields (e.g. task_retry_base_ms=1)."""
    store_settings = StoreSettings(
        data_dir=data_dir, pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, **settings
    )
    url, busy_ms = store_settings.database_url, store_settings.db_busy_timeout_ms
    upgrade(url, busy_timeout_ms=busy_ms)
    db = open_database(url, busy_timeout_ms=busy_ms)
    try:
        deps = Deps(db, clock) if clock else Deps(db)
        async with testing.serving(build_server(store_settings, deps)) as ports:
            yield ports
    finally:
        await db.close()
