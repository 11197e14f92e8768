"""Every store test runs against both backends: SQLite in a temporary folder and a
throwaway PostgreSQL cluster (skipped with the reason when PostgreSQL is missing, unless
AGENT_RUNTIME_TEST_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store_svc.db import Database, open_database
from tests import pg
from tests.stores import migrated

_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at head: a copy of one migrated once per session (tests/stores.py,
    tests/pg.py); test_migrations.py migrates from the first revision itself."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
        migrated(url)
        return url
    cluster = request.getfixturevalue("pg_cluster")
    return pg.database_or_skip(cluster, f"t{next(_counter)}")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = open_database(db_url)
    yield database
    await database.close()
