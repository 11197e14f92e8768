"""All workspace indexes under the workspace root: opened on first use, scanned in the
background when first seen, and told about changed paths by the watcher or by ingest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from qmd_svc.paths import PathFilter, check_workspace_id
from qmd_svc.scanner import ScanReport
from qmd_svc.workspace_index import WorkspaceIndex
from svckit.errors import FailedPrecondition

log = logging.getLogger("qmd_svc.workspaces")


class ChangeListener(Protocol):
    """Told about every document that was indexed or removed."""

    def changed(self, workspace_id: str, paths: list[str]) -> None: ...


class Workspaces:
    def __init__(
        self, root: Path, rules: PathFilter, readers: Executor, listener: ChangeListener
    ) -> None:
        self.root = root
        self.rules = rules
        self._readers = readers
        self._listener = listener
        self._open: dict[str, WorkspaceIndex] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def folder(self, workspace_id: str) -> Path:
        """The workspace's folder under the root. A folder that is a symbolic link is refused
        (FAILED_PRECONDITION: the id is fine, the disk is not; see qmd_svc.placement): qmd
        would otherwise index and write wherever it points."""
        folder = self.root / check_workspace_id(workspace_id)
        if folder.is_symlink():
            raise FailedPrecondition(
                f"workspace folder {folder.name} is a symbolic link; qmd only serves real "
                "folders under the workspace root",
                workspace_id=folder.name,
            )
        return folder

    async def start(self) -> None:
        """Open every existing workspace and catch up with what changed while we were down."""
        self.root.mkdir(parents=True, exist_ok=True)
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                log.warning("skipping workspace %s: its folder is a symbolic link", entry.name)
            elif entry.is_dir():
                await self.get(entry.name)

    async def get(self, workspace_id: str, *, create: bool = False) -> WorkspaceIndex | None:
        """The index of a workspace, or None when its folder does not exist."""
        folder = self.folder(workspace_id)
        ws = folder.name
        if ws in self._open:
            return self._open[ws]
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            return None
        async with self._lock:
            if ws not in self._open:
                index = WorkspaceIndex(ws, folder, self.rules, self._readers)
                await index.open()
                self._open[ws] = index
                self._spawn(self.scan(ws))
        return self._open[ws]

    async def scan(self, workspace_id: str, *, full: bool = False) -> ScanReport:
        index = await self.get(workspace_id)
        if index is None:
            return ScanReport()
        report = await index.scan(full=full)
        self._announce(index.workspace_id, report)
        return report

    async def apply(self, workspace_id: str, paths: Iterable[str]) -> ScanReport:
        index = await self.get(workspace_id)
        if index is None:
            return ScanReport()
        report = await index.apply(paths)
        self._announce(index.workspace_id, report)
        return report

    def announce(self, workspace_id: str, report: ScanReport) -> None:
        self._announce(workspace_id, report)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for index in self._open.values():
            await index.close()
        self._open.clear()

    def _announce(self, workspace_id: str, report: ScanReport) -> None:
        if report.changed:
            self._listener.changed(workspace_id, report.changed)

    def _spawn(self, coro: object) -> None:
        async def guarded() -> None:
            try:
                await coro  # type: ignore[misc]
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background scan failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
