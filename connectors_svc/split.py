"""Splitting a long text into parts a platform accepts (Discord 2,000 characters; Telegram,
whose markdown goes out as HTML, splits its own, `adapters.telegram_split`, through
`parts_for`): on paragraph boundaries where possible, then on lines, then on spaces, and
only a paragraph-less, space-less run is cut hard. Splitting is deterministic, so a retry computes
the same parts and resumes after the last one sent."""

from __future__ import annotations

from connectors_svc.adapters.base import Adapter, SplitsText


def parts_for(adapter: Adapter, text: str) -> list[str]:
    """The parts `adapter` sends `text` in: its own split, or `split_text` at its limit."""
    if isinstance(adapter, SplitsText):
        return adapter.split(text)
    return split_text(text, adapter.part_limit)


def split_text(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` characters (0: no limit); never an empty list."""
    if limit <= 0 or len(text) <= limit:
        return [text]
    for sep in ("\n\n", "\n", " "):
        if sep in text:
            return _pack(text.split(sep), sep, limit)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], sep: str, limit: int) -> list[str]:
    """Greedily joins pieces with `sep` up to `limit`; a piece too long on its own is split
    with the next finer separator."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}{sep}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            out.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *head, current = split_text(piece, limit)
            out.extend(head)
    if current:
        out.append(current)
    return [p for p in out if p.strip()] or out[:1]
