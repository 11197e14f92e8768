from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway_svc.rest.limits import Limits
from gateway_svc.rest.server import RestServer
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.stack import Stack, running_stack
from tests.unit.gateway_svc.rest.wire import EchoApp, Serve, Served


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return testing.make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture
async def stack(pki: PkiPaths) -> AsyncIterator[Stack]:
    async with running_stack(pki) as s:
        yield s


@pytest.fixture
async def serve(pki: PkiPaths) -> AsyncIterator[Serve]:
    """Start a RestServer (HTTPS) over an EchoApp on 127.0.0.1:0; keyword arguments are its
    Limits' fields, and `grace`. All are stopped at the end."""
    started: list[Served] = []

    async def start(grace: float = 1.0, **limits: Any) -> Served:
        app = EchoApp()
        server = RestServer(
            app,
            host="127.0.0.1",
            port=0,
            cert=pki.rest,
            ca_cert=pki.ca_cert,
            limits=Limits(**limits),
            grace=grace,
        )
        port = await server.start()
        started.append(Served(server, port, app, pki))
        return started[-1]

    try:
        yield start
    finally:
        for served in started:
            served.app.release.set()
            await served.server.stop()


@pytest.fixture
async def served(serve: Serve) -> Served:
    return await serve()
