"""Chat logs (REFERENCE.md §15.1): `<workspace>/logs/chats/<connector>/<external>.md`, one
append-only markdown file per chat with inbound, outbound and tool entries. The gateway
writes what is said, the orchestrator's agent loop the tools it runs; both through here.

Every append holds an exclusive lock on the file (fcntl) while it writes the header (first
write only) and one whole entry, so concurrent writers, in one process or several, never
interleave (SPEC.md "Fix"). Blocking file I/O: callers run it in a thread."""

from __future__ import annotations

import fcntl
import os
import re
from datetime import UTC, datetime
from pathlib import Path

DIRECTIONS = ("inbound", "outbound", "tool")
AGENT = "agent-runtime"
_ARGS, _ERROR, _OUTPUT = 500, 500, 700


def sanitise(part: str) -> str:
    """A path segment: spaces and runs of other than `[a-zA-Z0-9._-]` to `-`, trimmed of `-`
    and `.`, lower-cased; `unknown` when nothing is left."""
    out = re.sub(r"[^a-zA-Z0-9._-]+", "-", part.strip().replace(" ", "-")).strip("-.").lower()
    return out or "unknown"


def log_path(workspace: Path, connector: str, external_id: str) -> Path:
    return workspace / "logs/chats" / sanitise(connector) / f"{sanitise(external_id)}.md"


def stamp(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flat(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    raw = flat.encode()
    return flat if len(raw) <= limit else raw[:limit].decode(errors="ignore") + "..."


def tool_text(name: str, status: str, args: str = "", error: str = "", output: str = "") -> str:
    """The text of a tool entry."""
    lines = ["Tool call", f"- tool: `{name}`", f"- status: `{status}`"]
    if args.strip():
        lines.append(f"- args: `{_flat(args, _ARGS)}`")
    if error.strip():
        lines.append(f"- error: {_flat(error, _ERROR)}")
    if output.strip():
        lines.append(f"- output: {_flat(output, _OUTPUT)}")
    return "\n".join(lines)


def append(
    workspace: Path,
    connector: str,
    external_id: str,
    *,
    direction: str,
    actor: str,
    text: str,
    unix: float,
    display_name: str = "",
) -> Path | None:
    """Append one entry (the header first when the file is new); the file, or None when the
    text is blank (nothing written)."""
    entry = (direction, actor, text, unix)
    return append_entries(workspace, connector, external_id, [entry], display_name)


def append_entries(
    workspace: Path,
    connector: str,
    external_id: str,
    entries: list[tuple[str, str, str, float]],
    display_name: str = "",
) -> Path | None:
    """Append (direction, actor, text, unix time) entries in one locked write, in order (a
    command and its reply cost one write); blank texts are left out; None when nothing was
    written."""
    parts = [_entry(way, who, text, unix) for way, who, text, unix in entries if text.strip()]
    if not parts:
        return None
    path = log_path(workspace, connector, external_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(parts)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_size == 0:
            body = (
                f"# Chat Log\n\n- connector: `{sanitise(connector)}`\n"
                f"- external_id: `{sanitise(external_id)}`\n"
                f"- display_name: `{display_name.strip() or external_id}`\n\n"
            ) + body
        data = body.encode()
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)  # closing releases the lock
    return path


def _entry(direction: str, actor: str, text: str, unix: float) -> str:
    way = direction.strip().lower() or "inbound"
    if way not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
    return (
        f"## {stamp(unix)} `{way.upper()}`\n- direction: `{way}`\n"
        f"- actor: `{actor.strip() or 'system'}`\n\n{text.strip()}\n\n"
    )
