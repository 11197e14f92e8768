"""/search, /open, /status: the chat's workspace in qmd (REFERENCE.md §1.2 formats)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway_svc.commands.base import Call, Command, need
from svckit.errors import InvalidArgument, NotFound, Unavailable

SEARCH_LIMIT = 5
SNIPPET_BYTES = 120


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore") + "..."


async def search(call: Call) -> str:
    if not call.arg:
        return "Usage: /search <query>"
    qmd = need(call.tools.qmd, "Search is not configured on this runtime.")
    try:
        hits = await qmd.search(call.context.workspace_id, call.arg, SEARCH_LIMIT)
    except Unavailable:
        return "Search is unavailable right now; try again shortly."
    if not hits:
        return "No markdown matches found."
    lines = [f"Top {len(hits)} result(s):"]
    for i, hit in enumerate(hits, 1):
        pct = int(hit.score * 100)
        score = f" ({pct}%)" if pct > 0 else ""
        snippet = _cut(" ".join(hit.snippet.split()), SNIPPET_BYTES)
        lines.append(f"{i}. `{hit.path or hit.docid}`{score} {snippet}".rstrip())
    return "\n".join(lines)


async def open_doc(call: Call) -> str:
    if not call.arg:
        return "Usage: /open <path-or-docid>"
    qmd = need(call.tools.qmd, "Open is not configured on this runtime.")
    try:
        doc = await qmd.open(call.context.workspace_id, call.arg)
    except NotFound:
        return "Markdown file not found in this workspace."
    except InvalidArgument:
        return "Invalid target. Use a relative `.md` path or a qmd docid (`#abc123`)."
    except Unavailable:
        return "Open is unavailable right now; try again shortly."
    text = f"`{doc.path}`\n{doc.content if doc.content.strip() else '(empty file)'}"
    return text + ("\n\n(Truncated to safe output size.)" if doc.truncated else "")


async def status(call: Call) -> str:
    qmd = need(call.tools.qmd, "Status is not configured on this runtime.")
    ws = call.context.workspace_id
    try:
        st = await qmd.status(ws)
    except Unavailable:
        return "Status is unavailable right now; try again shortly."
    lines = [f"Workspace `{ws}` qmd status:"]
    if not st.exists:
        return "\n".join([*lines, "- workspace directory not created yet"])
    lines.append(
        "- indexed: yes" if st.indexed else "- indexed: no (will build on first search/change)"
    )
    lines.append(f"- pending reindex: {'yes' if st.pending else 'no'}")
    lines.append(f"- index file: {'present' if st.index_file_present else 'not found'}")
    if st.last_indexed_unix > 0:
        at = datetime.fromtimestamp(st.last_indexed_unix, UTC).isoformat().replace("+00:00", "Z")
        lines.append(f"- last indexed: {at}")
    lines.append(f"- qmd: {st.documents} document(s), {st.chunks} chunk(s)")
    return "\n".join(lines)


COMMANDS = (
    Command("search", "Search workspace knowledge", search, "query", "What to search for", True),
    Command("open", "Open a markdown path", open_doc, "target", "Path or docid", True),
    Command("status", "Show qmd index status", status),
)
