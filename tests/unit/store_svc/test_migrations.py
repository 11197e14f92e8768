"""Migrations: a database made by the first revision upgrades to head and keeps its data;
head matches the SQLModel tables exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from store_svc.common import SystemClock
from store_svc.db import open_database
from store_svc.db.base import sqlalchemy_url
from store_svc.keys import Keys
from store_svc.migrate import _SCRIPTS, current, upgrade
from store_svc.queue import Queue
from store_svc.schema import metadata


def _head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return ScriptDirectory.from_config(cfg).get_current_head()


async def test_first_revision_upgrades_to_head_with_its_rows(db_url: str) -> None:
    # db_url is already at head on a fresh database; make a second one at the first revision
    url = db_url.replace("store.sqlite", "old.sqlite") if db_url.startswith("sqlite") else None
    if url is None:  # PostgreSQL: reuse the fixture's database after dropping everything
        url = db_url
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url, "0001_original")
    assert current(url) == "0001_original"
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (id, workspace_id, context_id, kind, title, prompt, status,"
                " attempts, created_at_unix, updated_at_unix) VALUES ('old', 'ws', 'ctx',"
                " 'general', 'legacy', 'p', 'queued', 0, 1, 1)"
            )
        )
    engine.dispose()
    upgrade(url)
    assert current(url) == _head()
    db = open_database(url)
    try:
        clock = SystemClock()
        (task,) = await Queue(db, clock, Keys(clock)).claim("w", 5, 60_000)
        assert task["id"] == "old" and task["lane"] == "task" and task["max_attempts"] == 3
    finally:
        await db.close()


def test_head_matches_the_sqlmodel_tables(db_url: str) -> None:
    engine = create_engine(sqlalchemy_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []
