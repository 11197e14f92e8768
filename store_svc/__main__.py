"""`python -m store_svc`: the composition root — read settings, migrate, open, serve."""

from __future__ import annotations

import asyncio
from pathlib import Path

from store_svc.config import StoreSettings
from store_svc.db import open_database
from store_svc.deps import Deps
from store_svc.migrate import upgrade
from store_svc.server import build_server
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(StoreSettings)

    async def build() -> Service:
        url = settings.database_url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(upgrade, url, busy_timeout_ms=settings.db_busy_timeout_ms)
        db = open_database(url, settings.db_pool_size, settings.db_busy_timeout_ms)
        service = build_server(settings, Deps(db=db))
        service.on_stop.append(db.close)
        return service

    run("store", settings, build)


if __name__ == "__main__":
    main()
