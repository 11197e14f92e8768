from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from svckit.pki import PkiPaths
from tests.dovecot import Dovecot
from tests.fake_discord import FakeDiscord
from tests.stores import serving_store
from tests.unit.connectors_svc.mail import start_dovecot
from tests.webhooks import FakeWebhook


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    hook = FakeWebhook().start()
    try:
        yield hook
    finally:
        hook.stop()


@pytest.fixture
async def store_port(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[int]:
    (tmp_path / "store").mkdir()
    async with serving_store(pki, tmp_path / "store", task_claim_recheck_ms=50) as ports:
        yield ports.grpc


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def server() -> Iterator[Dovecot]:
    """A throwaway Dovecot (tests/dovecot.py); the test skips when it cannot run here."""
    box = start_dovecot()
    yield box
    box.stop()
