"""run_action, fetch_url, web_search: actions that leave the system. Each asks an admin: it
creates a pending approval (once per call of a turn: the key is the turn's task id and a
hash of the call, so a reclaimed turn asking again finds the same approval) and tells the
model so; the approved action runs later as its own task (`approval:<id>`). When the context
holds a sensitive-tool grant the store approves it at once (the granting admin is the
approver of record) and the tool queues that task itself: the action runs, once, without
anyone asking."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote_plus

from orchestrator_svc.drafts import Created, TaskDraft
from orchestrator_svc.tool_clients import ApprovalAsk, Asked
from orchestrator_svc.tools.base import Tool, ToolContext, ToolResult, obj, text

URL = {"type": "string", "minLength": 8, "maxLength": 2000, "pattern": "^https?://"}


class Approvals(Protocol):
    async def ask(self, ask: ApprovalAsk) -> Asked: ...

    async def queue(self, approval_id: str, task_id: str) -> None: ...


class TaskCreator(Protocol):
    async def create(self, draft: TaskDraft) -> Created: ...


def call_key(task_id: str, tool: str, args: Mapping[str, Any]) -> str:
    """`agent:<task id>:<hash of the call>`: the same call of the same turn, the same key
    (a provider's call ids are new on every completion, so they cannot be the key alone)."""
    digest = hashlib.sha256(json.dumps([tool, dict(args)], sort_keys=True).encode()).hexdigest()
    return f"agent:{task_id}:{digest[:24]}"


def sensitive_tools(approvals: Approvals, tasks: TaskCreator) -> list[Tool]:
    async def ask(
        ctx: ToolContext, tool: str, args: Mapping[str, Any], kind: str, target: str, summary: str,
        payload: Mapping[str, Any],
    ) -> ToolResult:  # fmt: skip
        req = ctx.request
        asked = await approvals.ask(
            ApprovalAsk(
                workspace_id=req.workspace_id,
                context_id=req.context_id,
                connector=req.connector or "api",
                external_id=req.external_id or req.context_id,
                requester_user_id=req.from_user_id or "agent",
                action_type=kind,
                action_target=target,
                action_summary=summary[:500],
                payload_json=json.dumps(dict(payload)),
                key=call_key(req.task.id, tool, args),
            )
        )
        if asked.status == "approved":
            made = await tasks.create(
                TaskDraft(
                    workspace_id=req.workspace_id,
                    context_id=req.context_id,
                    title=f"Approved action: {summary or kind}"[:120],
                    prompt=summary or kind,
                    kind="action",
                    lane="task",
                    source_connector=req.connector,
                    source_external_id=req.external_id,
                    source_user_id=req.from_user_id,
                    run_key=f"approval:{asked.id}",
                )
            )
            await approvals.queue(asked.id, made.task.id)
            return ToolResult(
                f"Action {asked.id} is approved by this conversation's standing grant and "
                f"queued as task {made.task.id}; its outcome is posted here when it runs."
            )
        if asked.status != "pending":
            return ToolResult(f"Action request {asked.id} is {asked.status}.")
        return ToolResult(
            f"Action request created: {asked.id}. I need an admin to approve this before "
            "I can continue.",
            approval_id=asked.id,
        )

    async def run_action(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        payload = dict(args.get("payload") or {})
        return await ask(
            ctx, "run_action", args, args["type"], args.get("target", ""),
            args.get("summary", ""), payload,
        )  # fmt: skip

    async def fetch_url(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        url = args["url"]
        payload = {"command": "curl", "args": ["-sSL", url]}
        return await ask(ctx, "fetch_url", args, "run_command", "curl", f"fetch {url}", payload)

    async def web_search(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        url = f"https://duckduckgo.com/html/?q={quote_plus(args['query'])}"
        payload = {"command": "curl", "args": ["-sSL", "-A", "Mozilla/5.0", url]}
        summary = f"web search: {args['query']}"
        return await ask(ctx, "web_search", args, "run_command", "curl", summary, payload)

    return [
        Tool(
            "run_action",
            "Ask an admin to approve an external action (webhook, send_email, run_command…).",
            obj(
                ["type"],
                type=text(64, pattern="^[a-z][a-z0-9_]*$"),
                target=text(2000, 0),
                summary=text(500, 0),
                payload={"type": "object"},
            ),
            run_action,
            sensitive=True,
        ),
        Tool(
            "fetch_url",
            "Fetch a web page (needs admin approval).",
            obj(["url"], url=URL, renderer={"enum": ["curl", "chromium"]}),
            fetch_url,
            sensitive=True,
        ),
        Tool(
            "web_search",
            "Search the web (needs admin approval).",
            obj(["query"], query=text(400)),
            web_search,
            sensitive=True,
        ),
    ]
