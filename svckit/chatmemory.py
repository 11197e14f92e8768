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
_NUM = re.compile(r"^- (turns|source_lines): `(\d+)`$", re.MULTILINE)
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


def read_log(path: Path) -> Conversation:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Conversation(0, [])
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


def _due(existing: str, conv: Conversation) -> bool:
    if "\n## " not in existing:
        return True
    nums = {k: int(v) for k, v in _NUM.findall(existing)}
    turns = nums.get("turns", 0)
    if turns == 0:
        return conv.turns > 0
    if conv.turns >= turns + REFRESH_TURNS:
        return True
    if "source_lines" not in nums:
        return conv.turns > turns
    return len(conv.lines) >= nums["source_lines"] + max(6, 2 * REFRESH_TURNS)


def refresh(
    workspace: Path, context_id: str, connector: str, external_id: str, unix: float
) -> bool:
    """Rewrite the context's summary from its chat log when due; True when rewritten."""
    conv = read_log(log_path(workspace, connector, external_id))
    path = summary_path(workspace, context_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one refresher at a time; readers see whole files
        existing = path.read_text(encoding="utf-8", errors="replace")
        if not _due(existing, conv):
            return False
        text = (
            "# Context Memory Summary\n\n"
            f"- context_id: `{context_id or 'unknown'}`\n- connector: `{connector}`\n"
            f"- external_id: `{external_id}`\n- turns: `{conv.turns}`\n"
            f"- source_lines: `{len(conv.lines)}`\n- refreshed_at: `{stamp(unix)}`\n\n"
        ) + body(conv)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return True
    finally:
        os.close(fd)


def reply(
    workspace: Path, context_id: str, connector: str, external_id: str, text: str, unix: float
) -> None:
    """What the agent said to a chat: an outbound entry in its log, then the context's summary
    refreshed when due. The gateway calls it for command replies, the orchestrator for turn
    replies (also those that come after the gateway stopped waiting)."""
    if append(workspace, connector, external_id, direction="outbound", actor=AGENT,
              text=text, unix=unix):  # fmt: skip
        refresh(workspace, context_id, connector, external_id, unix)
