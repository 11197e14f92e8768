from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway_svc.rest.http1 import Http1Server
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.http1_kit import EchoApp, Serve, Served
from tests.unit.gateway_svc.rest.stack import Stack, running_stack


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return testing.make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture
async def stack(pki: PkiPaths) -> AsyncIterator[Stack]:
    async with running_stack(pki) as s:
        yield s


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start an Http1Server (no TLS) on 127.0.0.1:0 with the given options; all are stopped."""
    started: list[Served] = []

    async def start(**options: Any) -> Served:
        app = EchoApp()
        server = Http1Server(app, **options)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        await server.start(sock)
        started.append(Served(server, port, app))
        return started[-1]

    try:
        yield start
    finally:
        for served in started:
            served.app.release.set()
            await served.server.stop(grace=1.0)


@pytest.fixture
async def served(serve: Serve) -> Served:
    return await serve()
