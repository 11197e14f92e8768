"""Bringing an index in line with the files on disk: whole-workspace scans and single paths.

Incremental by design: a file whose size and mtime match the index costs one stat; one whose
stat changed is read and hashed, and only re-chunked when its content hash changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qmd_svc.paths import PathFilter
from qmd_svc.writer import IndexWriter, Stat, read_file

BATCH = 500


@dataclass
class ScanReport:
    """What one scan or apply changed; `changed` lists the paths that were indexed or removed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)

    def count(self, outcome: str, path: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "unchanged":
            self.changed.append(path)


def walk(root: Path, rules: PathFilter) -> dict[str, Stat]:
    """Every indexable markdown file under root, with its stat. Symlinks are not followed."""
    found: dict[str, Stat] = {}
    stack = [("", str(root))]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            entries = list(os.scandir(abs_dir))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_dir(follow_symlinks=False):
                if not rules.dir_excluded(rel):
                    stack.append((rel, entry.path))
            elif entry.is_file(follow_symlinks=False) and rules.indexable(rel):
                found[rel] = Stat.of(entry.stat(follow_symlinks=False))
    return found


class Syncer:
    """Applies disk state to one index through its writer (single-threaded use only)."""

    def __init__(self, root: Path, writer: IndexWriter, rules: PathFilter) -> None:
        self._root = root
        self._writer = writer
        self._rules = rules

    def scan(self, *, full: bool = False) -> ScanReport:
        """Bring the whole workspace in line. Paths are reported as changed only when their
        content really changed since a previous scan: the first scan of a workspace, or a
        rebuild of unchanged files, announces nothing."""
        report = ScanReport()
        on_disk = walk(self._root, self._rules)
        w = self._writer
        w.begin()
        try:
            before = w.hashes() if w.was_scanned() else None
            known = w.known()
            for path in known.keys() - on_disk.keys():
                w.delete(path)
                report.count("removed", path)
            if full:
                w.clear()
                known = {}
            pending = 0
            for path, stat in on_disk.items():
                if known.get(path) == stat:
                    report.unchanged += 1
                    continue
                self._apply_one(path, report)
                pending += 1
                if pending >= BATCH:
                    w.commit()
                    w.begin()
                    pending = 0
            w.mark_indexed(scanned=True)
            w.commit()
        except BaseException:
            w.rollback()
            raise
        if full:
            w.optimize()
        if before is None:
            report.changed.clear()
        elif full:
            now = w.hashes()
            report.changed = [p for p in report.changed if before.get(p) != now.get(p)]
        return report

    def apply(self, paths: Iterable[str]) -> ScanReport:
        """Re-check individual workspace-relative paths (watcher events)."""
        report = ScanReport()
        with self._transaction() as w:
            for path in paths:
                self._apply_one(path, report)
            if report.changed:
                w.mark_indexed(scanned=False)
        return report

    def put(self, path: str, content: bytes, stat: Stat) -> ScanReport:
        """Index known content (ingest) without reading it back."""
        report = ScanReport()
        with self._transaction() as w:
            report.count(w.upsert(path, content, stat), path)
            w.mark_indexed(scanned=False)
        return report

    @contextmanager
    def _transaction(self) -> Iterator[IndexWriter]:
        """The writer inside one transaction: committed when the block ends, rolled back
        when it raises."""
        self._writer.begin()
        try:
            yield self._writer
            self._writer.commit()
        except BaseException:
            self._writer.rollback()
            raise

    def _apply_one(self, path: str, report: ScanReport) -> None:
        got = read_file(self._root, path) if self._rules.indexable(path) else None
        if got is None:
            if self._writer.delete(path):
                report.count("removed", path)
            return
        report.count(self._writer.upsert(path, *got), path)
