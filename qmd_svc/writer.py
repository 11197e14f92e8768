"""Index writes for one workspace. Runs on the index's single writer thread only."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qmd_svc.chunking import parse_markdown
from qmd_svc.query import has_cjk
from qmd_svc.schema import MAX_CHUNKS, chunk_range


def docid_of(content: bytes) -> str:
    """The 6-character content-hash docid (without the leading '#')."""
    return hashlib.sha256(content).hexdigest()[:6]


@dataclass(frozen=True, slots=True)
class Stat:
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Stat:
        return cls(st.st_size, st.st_mtime_ns)


class IndexWriter:
    """Adds, replaces and removes documents; the caller brackets batches in transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def begin(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def hashes(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT path, hash FROM documents"))

    def was_scanned(self) -> bool:
        return bool(self._conn.execute("SELECT 1 FROM meta WHERE key='scanned_unix'").fetchone())

    def known(self) -> dict[str, Stat]:
        rows = self._conn.execute("SELECT path, size, mtime_ns FROM documents")
        return {p: Stat(s, m) for p, s, m in rows}

    def upsert(self, path: str, content: bytes, stat: Stat) -> str:
        """Index `content` under `path`: 'added', 'updated' or 'unchanged'."""
        digest = hashlib.sha256(content).hexdigest()
        row = self._conn.execute("SELECT id, hash FROM documents WHERE path=?", (path,)).fetchone()
        if row and row[1] == digest:
            self._conn.execute(
                "UPDATE documents SET size=?, mtime_ns=? WHERE id=?",
                (stat.size, stat.mtime_ns, row[0]),
            )
            return "unchanged"
        parsed = parse_markdown(content.decode("utf-8", errors="replace"))
        title = parsed.title or PurePosixPath(path).stem
        chunks = parsed.chunks[:MAX_CHUNKS]
        values = (digest[:6], title, digest, stat.size, stat.mtime_ns, len(chunks))
        if row:
            doc_id = int(row[0])
            self._delete_chunks(doc_id)
            self._conn.execute(
                "UPDATE documents SET docid=?, title=?, hash=?, size=?, mtime_ns=?, chunks=? "
                "WHERE id=?",
                (*values, doc_id),
            )
        else:
            cur = self._conn.execute(
                "INSERT INTO documents(path, docid, title, hash, size, mtime_ns, chunks) "
                "VALUES(?,?,?,?,?,?,?)",
                (path, *values),
            )
            doc_id = int(cur.lastrowid or 0)
        base = chunk_range(doc_id)[0]
        rows = [(base + i, title, c.heading, c.text, c.line) for i, c in enumerate(chunks)]
        self._conn.executemany(
            "INSERT INTO chunks(rowid, title, heading, body, line) VALUES(?,?,?,?,?)", rows
        )
        cjk = [r for r in rows if has_cjk(r[3]) or has_cjk(r[1])]
        if cjk:
            self._conn.executemany(
                "INSERT INTO chunks_cjk(rowid, title, heading, body, line) VALUES(?,?,?,?,?)", cjk
            )
        return "updated" if row else "added"

    def delete(self, path: str) -> bool:
        row = self._conn.execute("SELECT id FROM documents WHERE path=?", (path,)).fetchone()
        if not row:
            return False
        self._delete_chunks(int(row[0]))
        self._conn.execute("DELETE FROM documents WHERE id=?", (row[0],))
        return True

    def clear(self) -> None:
        for table in ("documents", "chunks", "chunks_cjk"):
            self._conn.execute(f"DELETE FROM {table}")

    def mark_indexed(self, *, scanned: bool) -> None:
        """Record when the index last changed; `scanned` after a whole-workspace scan."""
        now = str(int(time.time()))
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES('last_indexed_unix', ?)", (now,))
        if scanned:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES('scanned_unix', ?)", (now,))

    def optimize(self) -> None:
        for table in ("chunks", "chunks_cjk"):
            self._conn.execute(f"INSERT INTO {table}({table}) VALUES('optimize')")

    def _delete_chunks(self, doc_id: int) -> None:
        lo, hi = chunk_range(doc_id)
        self._conn.execute("DELETE FROM chunks WHERE rowid BETWEEN ? AND ?", (lo, hi))
        self._conn.execute("DELETE FROM chunks_cjk WHERE rowid BETWEEN ? AND ?", (lo, hi))


def read_file(root: Path, rel: str) -> tuple[bytes, Stat] | None:
    """Content and stat of a regular file (symlinks are not followed), or None if gone."""
    full = root / rel
    try:
        st = full.lstat()
        if not os.path.isfile(full) or full.is_symlink():
            return None
        return full.read_bytes(), Stat.of(st)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return None
