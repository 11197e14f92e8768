from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.stack import Stack, running_stack


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return testing.make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture
async def stack(pki: PkiPaths) -> AsyncIterator[Stack]:
    async with running_stack(pki) as s:
        yield s
