"""Writing an ingested document into its workspace folder without ever leaving it.

Everything is checked before anything is written: no part of the path below the workspace
folder may be a symbolic link (dangling or not), every existing parent must be a real folder,
and the resolved path must stay inside the resolved workspace folder. A refused path leaves
the disk as it was. The write itself then walks the folders by file descriptor with
O_NOFOLLOW, so a folder swapped for a link between the check and the write is refused too
instead of followed.

A link on disk is refused with FAILED_PRECONDITION, not INVALID_ARGUMENT: the request is
well-formed (INVALID_ARGUMENT stays for what is wrong whatever the disk holds: `..`,
absolute paths, non-markdown names), it is the workspace's state that forbids it, and the
same request succeeds once an operator replaces the link with a real folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from qmd_svc.writer import Stat
from svckit.errors import FailedPrecondition

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_MODE = 0o600


def check_target(folder: Path, rel: str) -> None:
    """Raise FailedPrecondition unless `rel` (a clean relative path) can be written inside
    `folder` without following a link. Reads only; writes nothing."""
    parts = rel.split("/")
    here = deepest = folder
    for depth, part in enumerate(parts, 1):
        here = here / part
        shown = "/".join(parts[:depth])
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            break  # neither this nor anything below it exists yet: it will be created
        if stat.S_ISLNK(st.st_mode):
            raise FailedPrecondition(
                f"{shown} is a symbolic link; documents are only written to real folders "
                "inside the workspace",
                path=shown,
            )
        last = depth == len(parts)
        if not last and not stat.S_ISDIR(st.st_mode):
            raise FailedPrecondition(f"{shown} is not a folder", path=shown)
        if last and not stat.S_ISREG(st.st_mode):
            raise FailedPrecondition(f"{shown} exists and is not a regular file", path=shown)
        deepest = here
    if not deepest.resolve().is_relative_to(folder.resolve()):
        raise FailedPrecondition("the path leaves the workspace", path=rel)


def write_document(folder: Path, rel: str, data: bytes) -> tuple[bool, Stat]:
    """Write `data` to `folder/rel` atomically (a temporary file renamed over it), creating
    missing folders: (False, its stat) when it already held `data`. `folder` must exist;
    `check_target` must have passed."""
    *dirs, name = rel.split("/")
    fd = _open_dir(folder, os.fspath(folder), None)
    try:
        for depth, part in enumerate(dirs, 1):
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            child = _open_dir(part, "/".join(dirs[:depth]), fd)
            os.close(fd)
            fd = child
        return _replace(fd, name, rel, data)
    finally:
        os.close(fd)


def _open_dir(path: str | Path, shown: str, dir_fd: int | None) -> int:
    try:
        return os.open(path, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise FailedPrecondition(
                f"{shown} is not a real folder inside the workspace", path=shown
            ) from None
        raise


def _replace(dir_fd: int, name: str, rel: str, data: bytes) -> tuple[bool, Stat]:
    try:
        old = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FailedPrecondition(f"{rel} is a symbolic link", path=rel) from None
        raise
    else:
        with os.fdopen(old, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISREG(st.st_mode) and fh.read() == data:
                return False, Stat.of(st)
    tmp = f".ingest-{secrets.token_hex(8)}.tmp"
    out = os.open(
        tmp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        _FILE_MODE,
        dir_fd=dir_fd,
    )
    try:
        with os.fdopen(out, "wb") as fh:
            fh.write(data)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    return True, Stat.of(os.stat(name, dir_fd=dir_fd, follow_symlinks=False))
