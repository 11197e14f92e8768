"""Grounding a turn (REFERENCE.md §2.6): the user's text, then the context's rolling memory
summary (`memory/contexts/<context>.md`, when one exists), the chat tail
(`logs/chats/<connector>/<external>.md`) and the workspace notes qmd finds for the text."""

from __future__ import annotations

import asyncio
from pathlib import Path

from orchestrator_svc.agent import AgentRequest, Retriever
from svckit import errors
from svckit.chatlog import log_path
from svckit.chatmemory import summary_path

TAIL_LINES, TAIL_BYTES, LINE_BYTES, SUMMARY_BYTES = 24, 1800, 320, 1600
TOP_K, SNIPPET = 3, 400
_HEADER = ("# Chat Log", "- connector:", "- external_id:", "- display_name:")


def chat_tail(ws: Path, connector: str, external_id: str) -> str:
    path = log_path(ws, connector, external_id)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        line = line.strip()
        if not line or line.startswith(_HEADER):
            continue
        line = line.encode()[:LINE_BYTES].decode(errors="ignore")
        if len(kept) >= TAIL_LINES or size + len(line) > TAIL_BYTES:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(reversed(kept))


def summary(ws: Path, context_id: str) -> str:
    path = summary_path(ws, context_id)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    at = text.find("\n## ")
    body = text[at + 1 :] if at >= 0 else ""
    return body.encode()[:SUMMARY_BYTES].decode(errors="ignore").strip()


async def ground(request: AgentRequest, ws: Path, retriever: Retriever) -> str:
    """The text the model gets as the user's message."""
    parts = [request.text.strip()]
    memo = await asyncio.to_thread(summary, ws, request.context_id)
    if memo:
        parts.append(f"Context memory summary:\n{memo}")
    if request.connector and request.external_id:
        tail = await asyncio.to_thread(chat_tail, ws, request.connector, request.external_id)
        if tail:
            parts.append(
                f"Recent conversation memory:\n{tail}\n\nUse this memory only if relevant."
            )
    try:
        hits = await retriever.search(request.workspace_id, request.text.strip()[:400], TOP_K)
    except errors.DomainError:
        hits = []
    if hits:
        lines = [
            f"- source: {h.uri}\n  snippet: {' '.join(h.snippet.split())[:SNIPPET]}" for h in hits
        ]
        parts.append("Relevant workspace context:\n" + "\n".join(lines))
    return "\n\n".join(parts)
