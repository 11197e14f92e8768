"""write_file, read_file, list_files: the workspace's `scratch/` folder only. A path with
`..`, an absolute path, or one whose real location (symlinks resolved) leaves the scratch
folder is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator_svc.tools.base import Tool, ToolContext, ToolError, ToolResult, obj, text

READ_MAX = 20_000
WRITE_MAX = 200_000


def _resolve(ctx: ToolContext, rel: str) -> Path:
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute():
        raise ToolError("invalid path: absolute paths not allowed")
    if ".." in pure.parts:
        raise ToolError("invalid path: traversal not allowed")
    scratch = (ctx.workspace_dir / "scratch").resolve()
    target = (scratch / pure).resolve()
    if target != scratch and not target.is_relative_to(scratch):
        raise ToolError("invalid path: outside scratch directory")
    return target


async def _write(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    target = _resolve(ctx, args["path"])
    data = str(args["content"]).encode()

    def put() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        _resolve(ctx, args["path"])  # a folder swapped for a link meanwhile is still refused
        target.write_bytes(data)

    await asyncio.to_thread(put)
    return ToolResult(f"Wrote {len(data)} bytes to {args['path']}")


async def _read(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    target = _resolve(ctx, args["path"])

    def get() -> str | None:
        if not target.is_file():
            return None
        return target.read_text(encoding="utf-8", errors="replace")

    content = await asyncio.to_thread(get)
    if content is None:
        raise ToolError(f"file not found: {args['path']}")
    if len(content) > READ_MAX:
        content = content[:READ_MAX] + "\n\n[truncated]"
    return ToolResult(content)


async def _list(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    folder = _resolve(ctx, args.get("path", "") or ".")

    def listing() -> str:
        if not folder.is_dir():
            return "Directory not found."
        lines = [
            f"{e.name}/" if e.is_dir() else f"{e.name} ({e.stat().st_size} bytes)"
            for e in sorted(folder.iterdir())
        ]
        return "\n".join(lines) or "No files found."

    return ToolResult(await asyncio.to_thread(listing))


TOOLS = [
    Tool(
        "write_file",
        "Write a text file in the workspace scratch folder (overwrites).",
        obj(["path", "content"], path=text(300), content=text(WRITE_MAX, 0)),
        _write,
    ),
    Tool(
        "read_file",
        "Read a text file from the workspace scratch folder.",
        obj(["path"], path=text(300)),
        _read,
    ),
    Tool(
        "list_files",
        "List the workspace scratch folder (or a folder inside it).",
        obj(path=text(300, 0)),
        _list,
    ),
]
