"""Workspace ids, workspace-relative markdown paths, and the exclusion rules of the index.

Every path that reaches the index or the disk goes through `clean_md_path`, so absolute paths,
`..` segments and non-markdown targets are refused in one place.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from svckit.errors import InvalidArgument

_DRIVE = re.compile(r"^[A-Za-z]:")

# REFERENCE §6.5: the runtime's own folders are neither indexed nor announced.
DEFAULT_INDEX_EXCLUDES = (".qmd/**", "logs/**", "ops/heartbeat.md", ".git/**", "node_modules/**")
DEFAULT_EVENT_EXCLUDES = (".qmd/**", "logs*", "tasks*", "ops*")


def check_workspace_id(workspace_id: str) -> str:
    """A workspace id is one folder name under the root."""
    ws = workspace_id.strip()
    if not ws or ".." in ws or "/" in ws or "\\" in ws or "\x00" in ws or ws.startswith("."):
        raise InvalidArgument(f"invalid workspace id {workspace_id!r}", field="workspace_id")
    return ws


def clean_md_path(path: str, *, field: str = "path") -> str:
    """Normalise a workspace-relative `.md` path or raise InvalidArgument."""
    raw = path.strip().replace("\\", "/")
    if not raw:
        raise InvalidArgument("a relative .md path is required", field=field)
    if raw.startswith("/") or _DRIVE.match(raw):
        raise InvalidArgument("absolute paths are not allowed", field=field)
    if "\x00" in raw:
        raise InvalidArgument("invalid path", field=field)
    parts = [seg for seg in raw.split("/") if seg not in ("", ".")]
    if ".." in parts:
        raise InvalidArgument("'..' is not allowed in a path", field=field)
    if not parts or not parts[-1].lower().endswith(".md") or parts[-1].startswith("."):
        raise InvalidArgument("only .md documents can be opened or indexed", field=field)
    return "/".join(parts)


class PathFilter:
    """Glob rules over workspace-relative paths (lower-cased).

    `prefix/**` excludes the folder itself and everything under it; any other pattern is an
    fnmatch over the whole path (where `*` crosses folders).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self._folders: list[str] = []
        self._globs: list[str] = []
        for pat in patterns:
            p = pat.strip().lower().removeprefix("./").lstrip("/")
            if not p:
                continue
            if p.endswith("/**"):
                self._folders.append(p[:-3])
            else:
                self._globs.append(p)

    def dir_excluded(self, rel_dir: str) -> bool:
        """True when a whole folder can be skipped without looking inside."""
        d = rel_dir.lower()
        return any(d == f or d.startswith(f + "/") for f in self._folders)

    def excluded(self, rel_path: str) -> bool:
        p = rel_path.lower()
        if any(p == f or p.startswith(f + "/") for f in self._folders):
            return True
        return any(fnmatch.fnmatchcase(p, g) for g in self._globs)

    def indexable(self, rel_path: str) -> bool:
        """A markdown file the index should hold."""
        name = rel_path.rsplit("/", 1)[-1]
        return (
            name.lower().endswith(".md")
            and not name.startswith(".")
            and not self.excluded(rel_path)
        )
