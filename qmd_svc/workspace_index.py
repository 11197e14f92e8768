"""One workspace's index as an asyncio object: a single writer thread owns the write
connection; searches run on a shared reader pool, each with its own read connection."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from qmd_svc import reader
from qmd_svc.paths import PathFilter
from qmd_svc.query import Query
from qmd_svc.scanner import ScanReport, Syncer
from qmd_svc.schema import open_reader, open_writer
from qmd_svc.writer import IndexWriter, Stat

T = TypeVar("T")
INDEX_DIR = ".qmd"
INDEX_FILE = "index.sqlite"


class ReaderPool:
    """Read connections handed to one thread at a time (opened lazily, reused forever)."""

    def __init__(self, db: Path) -> None:
        self._db = db
        self._free: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._free.get_nowait()
        except queue.Empty:
            conn = open_reader(self._db)
            self._all.append(conn)
        try:
            return fn(conn)
        finally:
            self._free.put(conn)

    def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()


class WorkspaceIndex:
    """Search, scan, apply and ingest for one workspace folder."""

    def __init__(self, workspace_id: str, root: Path, rules: PathFilter, readers: Executor) -> None:
        self.workspace_id = workspace_id
        self.root = root
        self.db_path = root / INDEX_DIR / INDEX_FILE
        self._rules = rules
        self._readers = readers
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix=f"qmd-w-{workspace_id}")
        self._pool = ReaderPool(self.db_path)
        self._conn: sqlite3.Connection | None = None
        self._syncer: Syncer | None = None
        self.pending = 0

    async def open(self) -> None:
        await self._write(lambda s: None)

    async def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()

        await asyncio.get_running_loop().run_in_executor(self._writer_thread, _close)
        self._writer_thread.shutdown(wait=True)
        self._pool.close()

    async def search(
        self, query: Query, limit: int, min_score: float, prefix: str
    ) -> list[reader.Hit]:
        return await self._read(lambda c: reader.search(c, query, limit, min_score, prefix))

    async def meta_by_path(self, path: str) -> reader.DocMeta | None:
        return await self._read(lambda c: reader.meta_by_path(c, path))

    async def meta_by_docid(self, docid: str) -> reader.DocMeta | None:
        return await self._read(lambda c: reader.meta_by_docid(c, docid))

    async def stats(self) -> reader.Stats:
        return await self._read(reader.stats)

    async def scan(self, *, full: bool = False) -> ScanReport:
        return await self._write(lambda s: s.scan(full=full))

    async def apply(self, paths: Iterable[str]) -> ScanReport:
        items = list(paths)
        self.pending += len(items)
        try:
            return await self._write(lambda s: s.apply(items))
        finally:
            self.pending -= len(items)

    async def put(self, path: str, content: bytes, stat: Stat) -> ScanReport:
        return await self._write(lambda s: s.put(path, content, stat))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._pool.run, fn)

    async def _write(self, fn: Callable[[Syncer], T]) -> T:
        def call() -> T:
            if self._syncer is None:
                self._conn = open_writer(self.db_path)
                self._syncer = Syncer(self.root, IndexWriter(self._conn), self._rules)
            return fn(self._syncer)

        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, call)
