"""Markdown-aware chunking: cut at headings, and at paragraph breaks once a chunk is big
enough, never inside a fenced code block. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

# About a screen of text: big enough for BM25 to see context, small enough for a snippet.
TARGET_CHARS = 1200


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a document."""

    heading: str
    line: int  # one-based line where the chunk starts
    text: str


@dataclass(frozen=True, slots=True)
class Parsed:
    title: str
    chunks: list[Chunk]


def _closes(line: str, fence: str) -> bool:
    s = line.strip()
    return s.startswith(fence) and s.strip(fence[0]) == ""


def parse_markdown(text: str, target: int = TARGET_CHARS) -> Parsed:
    """Split a document into chunks and find its title (the first heading)."""
    chunks: list[Chunk] = []
    buf: list[str] = []
    size = 0
    start = 1
    heading = ""
    title = ""
    fence = ""

    def flush() -> None:
        nonlocal size
        body = "\n".join(buf).strip()
        if body:
            chunks.append(Chunk(heading, start, body))
        buf.clear()
        size = 0

    for no, line in enumerate(text.splitlines(), 1):
        if fence:
            buf.append(line)
            size += len(line) + 1
            if _closes(line, fence):
                fence = ""
            continue
        if m := _FENCE.match(line):
            if not buf:
                start = no
            fence = m.group(1)
            buf.append(line)
            size += len(line) + 1
            continue
        if m := _HEADING.match(line):
            flush()
            heading = (m.group(2) or "").strip()
            if not title and heading:
                title = heading
            start = no
            buf.append(line)
            size += len(line) + 1
            continue
        if not line.strip():
            if size >= target:
                flush()
                start = no + 1
            elif buf:
                buf.append(line)
            continue
        if not buf:
            start = no
        buf.append(line)
        size += len(line) + 1
    flush()
    return Parsed(title, chunks)


def first_heading(text: str) -> str:
    """The title alone, without building chunks."""
    fence = ""
    for line in text.splitlines():
        if fence:
            if _closes(line, fence):
                fence = ""
        elif m := _FENCE.match(line):
            fence = m.group(1)
        elif (m := _HEADING.match(line)) and (m.group(2) or "").strip():
            return (m.group(2) or "").strip()
    return ""
