"""The file watcher: markdown created, edited, moved or deleted under the workspace root is
applied to its workspace's index within a fraction of a second (watchfiles, inotify)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from watchfiles import Change, awatch

from qmd_svc.paths import PathFilter
from qmd_svc.scanner import ScanReport

log = logging.getLogger("qmd_svc.watcher")


class ChangeTarget(Protocol):
    async def apply(self, workspace_id: str, paths: list[str]) -> ScanReport: ...

    async def scan(self, workspace_id: str, *, full: bool = False) -> ScanReport: ...


def _relevant(change: Change, path: str) -> bool:
    if "/.qmd/" in path or path.endswith("/.qmd"):
        return False
    name = path.rsplit("/", 1)[-1]
    # Markdown files, plus folders (a moved or deleted folder takes its files with it).
    return name.endswith(".md") or "." not in name


class Watcher:
    def __init__(
        self,
        root: Path,
        target: ChangeTarget,
        *,
        excludes: PathFilter | None = None,
        debounce_ms: int = 300,
        step_ms: int = 30,
    ) -> None:
        self._root = root
        self._target = target
        # What the index never holds (chat logs, `.qmd/`…): its changes cost nothing, so a
        # busy chat writing its log on every message does not keep the index busy.
        self._excludes = excludes or PathFilter(())
        self._debounce_ms = debounce_ms
        self._step_ms = step_ms
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                async for changes in awatch(
                    self._root,
                    watch_filter=_relevant,
                    debounce=self._debounce_ms,
                    step=self._step_ms,
                    stop_event=self._stop,
                    recursive=True,
                ):
                    await self._dispatch(changes)
            except Exception:
                log.exception("watcher failed; restarting")
                await asyncio.sleep(1.0)

    async def _dispatch(self, changes: set[tuple[Change, str]]) -> None:
        files: dict[str, set[str]] = {}
        rescan: set[str] = set()
        for _change, raw in changes:
            try:
                parts = Path(raw).relative_to(self._root).parts
            except ValueError:
                continue
            if not parts or parts[0].startswith("."):
                continue
            if len(parts) == 1:  # a workspace folder appeared or went away
                rescan.add(parts[0])
                continue
            rel = "/".join(parts[1:])
            if self._excludes.excluded(rel):  # a file, or one in an excluded folder
                continue
            if rel.endswith(".md"):
                files.setdefault(parts[0], set()).add(rel)
            else:
                rescan.add(parts[0])
        for ws, paths in files.items():
            if ws not in rescan:
                await self._guard(self._target.apply(ws, sorted(paths)))
        for ws in rescan:
            await self._guard(self._target.scan(ws))

    @staticmethod
    async def _guard(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except Exception:
            log.exception("applying watched changes failed")
