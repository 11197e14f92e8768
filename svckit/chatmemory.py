"""The rolling context-memory summary (REFERENCE.md §2.6): deterministic, no model. Built from
a chat log (svckit.chatlog) into `<workspace>/memory/contexts/<context>.md`, refreshed when
enough was said since the last refresh; grounding reads it beside the chat tail."""

from __future__ import annotations

import fcntl
import os
import re
from dataclasses import dataclass
from pathlib import Path

from svckit.chatlog import AGENT, append, log_path, stamp

REFRESH_TURNS, MAX_ITEMS, SOURCE_LINES, LINE_BYTES = 6, 7, 120, 190
_HEAD = re.compile(r"^## \S+ `(INBOUND|OUTBOUND|TOOL)`$")
_META = re.compile(r"^- (direction|actor): `")
_NUM = re.compile(r"^- (turns|source_lines|source_bytes): `(\d+)`$", re.MULTILINE)
# How much of a log's end is read for the summary's body: its last SOURCE_LINES lines.
TAIL_BYTES = 256 * 1024
_ACTIONS = ("i'll", "i will", "task queued", "created", "updated", "approved", "denied",
            "completed", "finished", "next step")  # fmt: skip
_IS = r"\s*(?:is|:|=)\s*"
_FACTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, flags))
    for name, pattern, flags in (
        ("Codename", rf"\bcodename{_IS}([\w.-]+)", re.I),
        ("Environment", rf"\benvironment{_IS}([\w.-]+)", re.I),
        ("Freeze window", rf"\bfreeze window{_IS}(.*(?:\d:\d|UTC|GMT|Z\b).*)", re.I),
        (
            "Incident ID",
            r"\b(?i:incident)(?: (?i:id))?(?:\s*(?:is|:|=))?\s*([A-Z]{2,}[-_ ]?[0-9][A-Z0-9-]*)",
            0,
        ),
        ("Escalation policy", r"\bescalat\w*\b.*?\b(only .+)$", re.I),
        ("Notify channel", r"\bnotify\b.*?(#[\w-]+)", re.I),
        ("Release manager", rf"\brelease manager{_IS}([\w .'-]+?)(?:[,.;]|$)", re.I),
        ("Dependencies", r"\b(\w[\w-]*) depends on (.+?)\.?$", re.I),
    )
)


def context_folder(context_id: str) -> str:
    """The file name (without .md) of a context's summary and per-context prompt folder."""
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", context_id).strip("-") or "default"


def summary_path(workspace: Path, context_id: str) -> Path:
    return workspace / "memory/contexts" / f"{context_folder(context_id)}.md"


@dataclass(frozen=True)
class Conversation:
    """What a chat log says: inbound turns and the conversation lines (tool entries and
    metadata left out), as ("user" | "assistant", line)."""

    turns: int
    lines: list[tuple[str, str]]


def read_log(path: Path, start: int = 0) -> Conversation:
    """The conversation of a log, or of its part from byte `start` on (from the first entry
    that begins there or later: a cut through an entry skips the rest of that entry)."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, start - 1))  # an entry that begins exactly at `start` counts
            data = f.read()
    except OSError:
        return Conversation(0, [])
    if start:
        first = data.find(b"\n## ")
        data = data[first + 1 :] if first >= 0 else b""
    return parse(data.decode("utf-8", errors="replace"))


def parse(text: str) -> Conversation:
    turns, who, lines = 0, "", []
    for raw in text.splitlines():
        line = raw.strip()
        head = _HEAD.match(line)
        if head:
            kind = head.group(1)
            turns += kind == "INBOUND"
            who = {"INBOUND": "user", "OUTBOUND": "assistant"}.get(kind, "")
        elif who and line and not _META.match(line):
            lines.append((who, line))
    return Conversation(turns, lines)


def _cut(line: str) -> str:
    raw = line.encode()
    return line if len(raw) <= LINE_BYTES else raw[:LINE_BYTES].decode(errors="ignore") + "..."


def _latest_unique(lines: list[str], limit: int) -> list[str]:
    seen: list[str] = []
    for line in reversed(lines):
        if line.lower() not in (s.lower() for s in seen):
            seen.append(line)
        if len(seen) == limit:
            break
    return list(reversed(seen))


def facts(user_lines: list[str]) -> list[str]:
    """Canonical facts found in what the user said; the latest value of each wins."""
    found: dict[str, str] = {}
    for line in user_lines:
        for name, pattern in _FACTS:
            hit = pattern.search(line)
            if hit:
                value = " -> ".join(g.strip() for g in hit.groups())
                found.pop(name, None)
                found[name] = value.rstrip(".")
        if "no production schema migrations" in line.lower():
            found["Migration constraint"] = "no production schema migrations"
    return [f"{k}: {v}" for k, v in found.items()][-max(8, MAX_ITEMS + 2) :]


def body(conv: Conversation) -> str:
    src = conv.lines[-SOURCE_LINES:]
    user = [t for w, t in src if w == "user"]
    said = [t for w, t in src if w == "assistant"]
    acted = [t for t in said if any(a in t.lower() for a in _ACTIONS)] or said
    asked = [t for t in user if t.endswith("?")]
    sections = (
        ("Canonical Facts", facts(user)),
        ("Recent User Intents", _latest_unique(user, MAX_ITEMS)),
        ("Recent Assistant Actions", _latest_unique(acted, MAX_ITEMS)),
        ("Open Questions", _latest_unique(asked, max(2, MAX_ITEMS // 2))),
    )
    out = []
    for title, items in sections:
        out.append(f"## {title}\n" + "\n".join(f"- {_cut(i)}" for i in items or ["(none)"]))
    return "\n\n".join(out) + "\n"


def _due(nums: dict[str, int], new: Conversation) -> bool:
    """Whether enough was said since the last refresh (`new`: what the log gained since)."""
    turns = nums.get("turns", 0)
    if turns == 0:
        return new.turns > 0
    return new.turns >= REFRESH_TURNS or len(new.lines) >= max(6, 2 * REFRESH_TURNS)


def refresh(
    workspace: Path, context_id: str, connector: str, external_id: str, unix: float
) -> bool:
    """Rewrite the context's summary from its chat log when due; True when rewritten.

    The summary records how far into the log it has read (`source_bytes`), so deciding
    reads only what was appended since, and a refresh reads the log's last TAIL_BYTES: the
    cost stays flat however long the chat has run. A summary without that mark, or a log
    shorter than it (replaced), is rebuilt from the whole log."""
    log = log_path(workspace, connector, external_id)
    path = summary_path(workspace, context_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one refresher at a time; readers see whole files
        existing = path.read_text(encoding="utf-8", errors="replace")
        nums = {k: int(v) for k, v in _NUM.findall(existing)} if "\n## " in existing else {}
        size = log.stat().st_size if log.exists() else 0
        mark = nums.get("source_bytes", -1)
        if 0 <= mark <= size and "source_lines" in nums:
            new = read_log(log, mark) if mark else read_log(log)
            if not _due(nums, new):
                return False
            turns, lines = nums["turns"] + new.turns, nums["source_lines"] + len(new.lines)
            tail = read_log(log, max(0, size - TAIL_BYTES)) if size > TAIL_BYTES else None
            conv = Conversation(turns, (tail or read_log(log)).lines)
        else:
            conv = read_log(log)
            if nums and not _due({"turns": nums.get("turns", 0)}, _since(nums, conv)):
                return False
            turns, lines = conv.turns, len(conv.lines)
        text = (
            "# Context Memory Summary\n\n"
            f"- context_id: `{context_id or 'unknown'}`\n- connector: `{connector}`\n"
            f"- external_id: `{external_id}`\n- turns: `{turns}`\n"
            f"- source_lines: `{lines}`\n- refreshed_at: `{stamp(unix)}`\n"
            f"- source_bytes: `{size}`\n\n"
        ) + body(conv)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return True
    finally:
        os.close(fd)


def _since(nums: dict[str, int], conv: Conversation) -> Conversation:
    """What a whole log holds beyond a summary's counts (for a summary without its mark)."""
    extra = max(0, len(conv.lines) - nums.get("source_lines", 0))
    return Conversation(
        max(0, conv.turns - nums.get("turns", 0)), conv.lines[-extra:] if extra else []
    )


def reply(
    workspace: Path, context_id: str, connector: str, external_id: str, text: str, unix: float
) -> None:
    """What the agent said to a chat: an outbound entry in its log, then the context's summary
    refreshed when due. The gateway calls it for command replies, the orchestrator for turn
    replies (also those that come after the gateway stopped waiting)."""
    if append(workspace, connector, external_id, direction="outbound", actor=AGENT,
              text=text, unix=unix):  # fmt: skip
        refresh(workspace, context_id, connector, external_id, unix)
