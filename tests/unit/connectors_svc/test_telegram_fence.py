"""Two replicas of the Telegram adapter over one store (SQLite, then PostgreSQL), each with
the bot's leader lease taken from the store: the update offset they keep is fenced by that
lease. A replica whose lease passed to another cannot move the offset (its late put is
refused, and its session ends there without acknowledging anything to Telegram), the new
leader's offset stands, and a restart neither replays nor skips an update."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_position import Position
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.clients import StoreCursors, StoreLeases
from svckit import testing
from svckit.errors import FailedPrecondition
from svckit.pki import PkiPaths
from tests import pg
from tests.fake_telegram import TOKEN, FakeTelegram, serving_telegram
from tests.fakes import FrozenClock
from tests.stores import serving_store
from tests.unit.connectors_svc.telegram_kit import EchoSink

LEASE, CURSOR = "connector:telegram", f"telegram:{TOKEN.split(':')[0]}:offset"
TTL_MS = 10_000


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return pg.database_or_skip(request.getfixturevalue("pg_cluster"), "telegram_fence")


class Replica:
    def __init__(self, holder: str, fake: FakeTelegram, api_base: str, s: StoreCursors) -> None:
        self.holder, self.sink = holder, EchoSink()
        self._fake, self._api_base, self._cursors = fake, api_base, s
        self.session: asyncio.Task[None] | None = None

    async def lead(self, leases: StoreLeases) -> None:
        token = await leases.acquire(LEASE, self.holder, TTL_MS)
        self.sink.lease = Fence(LEASE, self.holder, token)

    def start(self) -> None:
        adapter = TelegramAdapter(make_bot(TOKEN, self._api_base, 15.0), self._cursors, 1)
        self.sink.adapter = adapter
        self.session = asyncio.create_task(adapter.run(self.sink))

    async def stop(self) -> None:
        assert self.session is not None and self.sink.adapter is not None
        self.session.cancel()
        with contextlib.suppress(asyncio.CancelledError, FailedPrecondition):
            await self.session  # cancelled, or ended by a refused offset
        await self.sink.adapter.aclose()


@contextlib.asynccontextmanager
async def two_replicas(
    pki: PkiPaths, tmp_path: Path, db_url: str, clock: FrozenClock
) -> AsyncIterator[tuple[FakeTelegram, StoreCursors, StoreLeases, Replica, Replica]]:
    async with (
        serving_store(pki, tmp_path, clock, db_url=db_url) as store,
        serving_telegram() as (fake, api_base),
        testing.client_channel(pki, store.grpc, identity="svc:connectors") as channel,
    ):
        cursors = StoreCursors(channel)
        yield (
            fake,
            cursors,
            StoreLeases(channel),
            Replica("replica-a", fake, api_base, cursors),
            Replica("replica-b", fake, api_base, cursors),
        )


async def _offset(cursors: StoreCursors, wanted: int) -> bool:
    return await cursors.get(CURSOR) == str(wanted)


async def test_the_old_leaders_late_offset_is_refused_and_the_new_leaders_stands(
    pki: PkiPaths, tmp_path: Path, db_url: str
) -> None:
    clock = FrozenClock(1_000)
    async with two_replicas(pki, tmp_path, db_url, clock) as (fake, cursors, leases, a, b):
        await a.lead(leases)
        fake.say(700, "one")
        first = int(fake.updates[-1]["update_id"])
        a.start()
        await testing.eventually(lambda: _offset(cursors, first + 1), "a's offset past one")
        await a.stop()  # a stalls (a pause, a partition) and its lease runs out
        clock.advance(TTL_MS / 1000 + 1)
        await b.lead(leases)
        assert b.sink.lease is not None and a.sink.lease is not None
        assert b.sink.lease.token == a.sink.lease.token + 1

        fake.say(700, "two")
        second = int(fake.updates[-1]["update_id"])
        b.start()
        await testing.eventually(lambda: _offset(cursors, second + 1), "b's offset past two")
        assert b.sink.texts() == ["two"]  # nothing a finished came again

        # a wakes up and puts what it held when it stalled ("one" still open): refused
        stale = Position(first, ({"update_id": first, "message": {}},)).encode()
        with pytest.raises(FailedPrecondition, match="now held by replica-b"):
            await cursors.put(CURSOR, stale, a.sink.lease, first)
        # and b's own put, delayed and retried after a newer one: refused too (backwards)
        with pytest.raises(FailedPrecondition, match="backwards"):
            await cursors.put(CURSOR, str(first + 1), b.sink.lease, first + 1)
        assert await cursors.get(CURSOR) == str(second + 1)

        # a, not knowing, polls again: it may take "three", but cannot record the offset,
        # so its session ends there and nothing is acknowledged to Telegram for it
        fake.say(701, "three")
        third = int(fake.updates[-1]["update_id"])
        await b.stop()
        a.start()
        assert a.session is not None
        with pytest.raises(FailedPrecondition, match="now held by replica-b"):
            await asyncio.wait_for(a.session, 30)
        await a.stop()
        assert await cursors.get(CURSOR) == str(second + 1)

        # b restarts: "three" is received (not skipped), nothing before it again
        b.start()
        await testing.eventually(lambda: "three" in b.sink.texts(), "three after the restart")
        await testing.eventually(lambda: _offset(cursors, third + 1), "b's offset past three")
        await b.stop()
        assert b.sink.texts() == ["two", "three"]
        assert a.sink.texts().count("one") == 1 and "two" not in a.sink.texts()
