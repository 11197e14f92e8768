"""The watcher forwards only changes the index can hold: a chat log written on every message
(`logs/…`) never reaches the index, a note does."""

from __future__ import annotations

from pathlib import Path

from watchfiles import Change

from qmd_svc.paths import DEFAULT_INDEX_EXCLUDES, PathFilter
from qmd_svc.scanner import ScanReport
from qmd_svc.watcher import Watcher


class Index:
    """A ChangeTarget that keeps what it was asked to apply or scan."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, list[str]]] = []
        self.scanned: list[str] = []

    async def apply(self, workspace_id: str, paths: list[str]) -> ScanReport:
        self.applied.append((workspace_id, paths))
        return ScanReport()

    async def scan(self, workspace_id: str, *, full: bool = False) -> ScanReport:
        self.scanned.append(workspace_id)
        return ScanReport()


async def test_changes_under_excluded_folders_reach_no_index(tmp_path: Path) -> None:
    index = Index()
    watcher = Watcher(tmp_path, index, excludes=PathFilter(DEFAULT_INDEX_EXCLUDES))
    ws = tmp_path / "ws1"
    await watcher._dispatch(
        {
            (Change.modified, str(ws / "logs" / "chats" / "telegram" / "42.md")),
            (Change.added, str(ws / "logs" / "chats" / "discord")),  # a new log folder
            (Change.added, str(ws / "notes" / "plan.md")),
        }
    )
    assert index.applied == [("ws1", ["notes/plan.md"])]
    assert index.scanned == []
