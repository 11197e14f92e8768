"""Opening documents from disk: path checks, docid lookup, trimming and byte limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qmd_svc.chunking import first_heading
from qmd_svc.writer import docid_of

DEFAULT_MAX_BYTES = 1600


@dataclass(frozen=True, slots=True)
class OpenedDocument:
    path: str
    docid: str
    title: str
    content: str
    truncated: bool
    size_bytes: int
    modified_unix: int


def cut_utf8(text: str, max_bytes: int) -> tuple[str, bool]:
    """Cut to at most max_bytes of UTF-8 without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text, False
    return data[:max_bytes].decode("utf-8", errors="ignore"), True


def read_document(folder: Path, rel: str, max_bytes: int) -> OpenedDocument | None:
    """The document at a (validated) relative path, or None when it is not a regular file
    inside the workspace."""
    full = folder / rel
    try:
        if full.is_symlink() or not full.is_file():
            return None
        if not full.resolve().is_relative_to(folder.resolve()):
            return None
        st = full.stat()
        raw = full.read_bytes()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    text = raw.decode("utf-8", errors="replace")
    content, truncated = cut_utf8(text.strip(), max_bytes)
    title = first_heading(text) or os.path.splitext(os.path.basename(rel))[0]
    return OpenedDocument(
        rel, docid_of(raw), title, content, truncated, st.st_size, int(st.st_mtime)
    )
