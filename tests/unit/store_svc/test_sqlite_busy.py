"""SQLite under contention: another connection holding the write lock (a migration, a second
store process on the same file) makes a write wait, never fail with "database is locked";
held past the busy timeout, the write is UNAVAILABLE (retryable) and stores nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from store_svc.db import Database, open_database
from store_svc.keys import Keys
from store_svc.migrate import upgrade
from store_svc.objectives import Objectives
from svckit import testing
from svckit.errors import Unavailable
from svckit.pki import PkiPaths
from tests.fakes import FrozenClock
from tests.stores import serving_store

NOW = 1_767_614_400
_STORES = 4
OBJ = {"workspace_id": "ws", "context_id": "ctx", "title": "t", "prompt": "p",
       "trigger_type": "schedule", "cron_expr": "0 9 * * *", "active": True}  # fmt: skip


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection on the same file holding the write lock until it commits."""
    conn = sqlite3.connect(tmp_path / "store.sqlite", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def _objectives(db: Database) -> Objectives:
    clock = FrozenClock(NOW)
    return Objectives(db, clock, Keys(clock))


async def _titles(db: Database) -> list[str]:
    return [r["title"] for r in await db.read(lambda c: c.all("SELECT title FROM objectives"))]


async def test_a_write_meeting_a_briefly_locked_database_succeeds_after_release(
    url: str, holder: sqlite3.Connection
) -> None:
    db = open_database(url, busy_timeout_ms=60_000)
    try:
        pending = asyncio.ensure_future(_objectives(db).create(OBJ, "a"))
        done, _ = await asyncio.wait({pending}, timeout=0.3)
        assert not done  # waiting for the lock, not failed
        holder.execute("COMMIT")
        made = await pending
        assert (await _objectives(db).get(made["id"]))["title"] == "t"
    finally:
        await db.close()


async def test_a_lock_held_past_the_timeout_is_unavailable_and_stores_nothing(
    url: str, holder: sqlite3.Connection
) -> None:
    db = open_database(url, busy_timeout_ms=50)
    try:
        objectives = _objectives(db)
        results = await asyncio.gather(
            *(objectives.create({**OBJ, "title": f"t{n}"}, "a") for n in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(r, Unavailable) for r in results), results
        holder.execute("COMMIT")
        assert await _titles(db) == []
        await objectives.create(OBJ, "a")  # the store recovers once the lock is gone
        assert await _titles(db) == ["t"]
    finally:
        await db.close()


@pytest.mark.parametrize("attempt", range(10))
def test_stores_opening_a_fresh_file_together_never_see_it_locked(
    tmp_path: Path, attempt: int
) -> None:
    """Stores (say, `agent-runtime up` restarting) opening a file still in rollback-journal
    mode and reading and writing at once: their connections switching it to WAL used to race
    and fail with "database is locked" whatever the busy timeout."""
    path = tmp_path / f"fresh{attempt}.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE notes (body TEXT)")
    raw.close()
    barrier = threading.Barrier(_STORES)
    failures: list[BaseException] = []

    async def use_one() -> None:
        db = open_database(f"sqlite:///{path}")
        try:
            await asyncio.gather(
                db.read(lambda c: c.all("SELECT body FROM notes")),
                db.write(lambda c: c.run("INSERT INTO notes VALUES ('x')")),
            )
        finally:
            await db.close()

    def run_one() -> None:
        barrier.wait()
        try:
            asyncio.run(use_one())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run_one) for _ in range(_STORES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM notes").fetchone() == (_STORES,)
    raw.close()


async def test_a_caller_of_a_locked_store_gets_unavailable_not_internal(
    pki: PkiPaths, tmp_path: Path
) -> None:
    request = orpc.CreateObjectiveRequest(
        workspace_id="ws", context_id="ctx", title="t", prompt="p",
        trigger_type="schedule", cron_expr="@every 10m", actor="a",
    )  # fmt: skip
    async with serving_store(pki, tmp_path, db_busy_timeout_ms=50) as ports:
        other = sqlite3.connect(tmp_path / "meta.sqlite", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            async with testing.client_channel(pki, ports.grpc, "svc:scheduler") as ch:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await ObjectiveServiceStub(ch).CreateObjective(request)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
                other.execute("COMMIT")
                assert other.execute("SELECT count(*) FROM objectives").fetchone() == (0,)
                made = await ObjectiveServiceStub(ch).CreateObjective(request)
                assert made.objective.title == "t"
        finally:
            other.close()
