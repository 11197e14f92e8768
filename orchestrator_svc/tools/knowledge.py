"""search_knowledge_base and open_knowledge_document: the workspace's markdown through qmd."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator_svc.agent import Retriever
from orchestrator_svc.tool_clients import Document
from orchestrator_svc.tools.base import Tool, ToolContext, ToolError, ToolResult, obj, text
from svckit import errors

OPEN_MAX_BYTES = 8000


class Documents(Protocol):
    async def open(self, workspace_id: str, target: str, max_bytes: int) -> Document: ...


def knowledge_tools(search: Retriever, docs: Documents) -> list[Tool]:
    async def run_search(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        limit = int(args.get("limit") or 5)
        try:
            hits = await search.search(ctx.request.workspace_id, args["query"], limit)
        except errors.Unavailable:
            return ToolResult("Search is currently unavailable.")
        if not hits:
            return ToolResult("No results found.")
        lines = [f"Found {len(hits)} results:"]
        for n, h in enumerate(hits, 1):
            snippet = " ".join(h.snippet.split())[:120]
            lines.append(f"{n}. {h.uri} — {h.title}\n   {snippet}")
        return ToolResult("\n".join(lines))

    async def run_open(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        target = str(args["target"]).strip()
        prefix = f"qmd://{ctx.request.workspace_id}/"
        target = target.removeprefix(prefix)
        try:
            doc = await docs.open(ctx.request.workspace_id, target, OPEN_MAX_BYTES)
        except errors.NotFound:
            return ToolResult("Document not found.")
        except errors.InvalidArgument as exc:
            raise ToolError(f"Invalid document target: {exc.message}") from None
        except errors.Unavailable:
            return ToolResult("Knowledge base is currently unavailable.")
        if not doc.content.strip():
            return ToolResult("Document is empty.")
        more = "\n\n[truncated]" if doc.truncated else ""
        return ToolResult(f"Source: {doc.path}\n{doc.content}{more}")

    return [
        Tool(
            "search_knowledge_base",
            "Search the workspace's markdown notes; returns paths, titles and snippets.",
            obj(
                ["query"],
                query=text(400),
                limit={"type": "integer", "minimum": 1, "maximum": 10},
            ),
            run_search,
        ),
        Tool(
            "open_knowledge_document",
            "Open a workspace document by path, qmd:// URI or #docid from search results.",
            obj(["target"], target=text(800)),
            run_open,
        ),
    ]
