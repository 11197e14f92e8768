from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from svckit import testing
from svckit.pki import PkiPaths
from tests import pg


@pytest.fixture
def pki(tmp_path: Path) -> PkiPaths:
    """A throwaway CA with every service certificate and the admin `admin`."""
    return testing.make_pki(tmp_path / "pki")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster | str]:
    """A throwaway PostgreSQL cluster for the session, or the reason it is unavailable
    (`pg.database_or_skip` turns that into a skip, or a failure when PostgreSQL is required)."""
    try:
        cluster = pg.start_cluster()
    except pg.PostgresUnavailable as exc:
        yield str(exc)
        return
    yield cluster
    cluster.stop()
