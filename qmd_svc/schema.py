"""The on-disk layout of one workspace index (`<workspace>/.qmd/index.sqlite`).

Chunk rowids are `document id << 16 | chunk number`, so a document's chunks are one rowid
range: deleting them needs no side table, and a hit names its document without a join.
Chunks holding CJK text are also kept in a trigram table, consulted for CJK queries only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = "1"
CHUNK_BITS = 16
MAX_CHUNKS = 1 << CHUNK_BITS

_DDL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  docid TEXT NOT NULL,
  title TEXT NOT NULL,
  hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  chunks INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_docid ON documents(docid);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
  title, heading, body, line UNINDEXED,
  tokenize='porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_cjk USING fts5(
  title, heading, body, line UNINDEXED, tokenize='trigram'
);
"""

# Title hits count most, then headings, then body text.
_RANK = "bm25(4.0, 2.0, 1.0)"


def chunk_range(doc_id: int) -> tuple[int, int]:
    lo = doc_id << CHUNK_BITS
    return lo, lo + MAX_CHUNKS - 1


def open_writer(path: Path) -> sqlite3.Connection:
    """The single writer connection of an index; creates or upgrades the schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    version = None
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone():
        row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        version = row[0] if row else None
    if version not in (None, SCHEMA_VERSION):
        for table in ("chunks", "chunks_cjk", "documents", "meta"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.executescript(_DDL)
    conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
    for table in ("chunks", "chunks_cjk"):
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('rank', ?)", (_RANK,))
    return conn


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection; in WAL mode it never waits for the writer."""
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, check_same_thread=False, cached_statements=256
    )
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA query_only=1")
    return conn
