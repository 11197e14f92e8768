"""create_task, lookup_task, update_task: the store's tasks of the caller's workspace.

create_task is idempotent per call of a turn (its run_key is the call's key, so a reclaimed
turn creates nothing twice) and bounded per context by the autonomous-task quota, counted
from the tasks the agent stored in that context (so it survives restarts and replicas)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc import vocab
from orchestrator_svc.drafts import Created, TaskDraft
from orchestrator_svc.listing import TaskQuery
from orchestrator_svc.tools.base import Tool, ToolContext, ToolError, ToolResult, obj, text
from orchestrator_svc.tools.sensitive import call_key
from svckit import errors

_PRIORITY = {"high": "p1", "urgent": "p1", "medium": "p2", "normal": "p2", "low": "p3"}
_DUE = re.compile(r"^([1-9][0-9]{0,3})([mhd])$")
_UNIT = {"m": 60, "h": 3600, "d": 86400}


class Tasks(Protocol):
    async def create(self, draft: TaskDraft) -> Created: ...

    async def get(self, task_id: str) -> store.Task: ...

    async def list(self, query: TaskQuery) -> store_rpc.ListTasksResponse: ...


class Routing(Protocol):
    async def route(
        self, task_id: str, route_class: str, priority: str, due_at_unix: int, lane: str
    ) -> store.Task: ...


@dataclass(frozen=True, slots=True)
class Quota:
    per_hour: int = 5
    per_day: int = 25


def tasking_tools(
    tasks: Tasks, routing: Routing, clock: Callable[[], float], quota: Quota
) -> list[Tool]:
    async def own(ctx: ToolContext, task_id: str) -> store.Task:
        try:
            task = await tasks.get(task_id)
        except errors.NotFound:
            raise ToolError("task not found in this workspace") from None
        if task.workspace_id != ctx.request.workspace_id:
            raise ToolError("task not found in this workspace")
        return task

    async def check_quota(ctx: ToolContext) -> None:
        query = TaskQuery(context_id=ctx.request.context_id, kind="general", limit=200)
        page = await tasks.list(query)
        now = clock()
        mine = [t.created_at_unix for t in page.items if t.run_key.startswith("agent:")]
        if sum(1 for at in mine if at > now - 86400) >= quota.per_day:
            raise ToolError("max autonomous tasks per day reached")
        if sum(1 for at in mine if at > now - 3600) >= quota.per_hour:
            raise ToolError("max autonomous tasks per hour reached")

    async def create_task(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        req = ctx.request
        key = call_key(req.task.id, "create_task", args)
        await check_quota(ctx)
        raw = str(args.get("priority", "p3")).lower()
        made = await tasks.create(
            TaskDraft(
                workspace_id=req.workspace_id,
                context_id=req.context_id,
                title=args["title"],
                prompt=args["description"],
                route_class="task",
                priority=_PRIORITY.get(raw, raw),
                due_at_unix=int(clock()) + 86400,
                assigned_lane="operations",
                source_connector=req.connector,
                source_external_id=req.external_id,
                source_user_id=req.from_user_id,
                source_text=req.text[:4000],
                run_key=key,
            )
        )
        return ToolResult(f"Task created successfully (ID: {made.task.id}).")

    async def lookup_task(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        t = await own(ctx, args["task_id"])
        created = datetime.fromtimestamp(t.created_at_unix, UTC).isoformat()
        lines = [f"Task ID: {t.id}", f"Title: {t.title}", f"Status: {t.status}"]
        lines.append(f"Created: {created}")
        if t.due_at_unix:
            lines.append(f"Due: {datetime.fromtimestamp(t.due_at_unix, UTC).isoformat()}")
        if t.result_path:
            lines.append(f"Result Path: {t.result_path}")
        body = t.result_summary or t.prompt
        label = "Summary" if t.result_summary else "Prompt"
        lines.append(f"{label}: {body[:200]}{'...' if len(body) > 200 else ''}")
        return ToolResult("\n".join(lines))

    async def update_task(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        t = await own(ctx, args["task_id"])
        cls = args.get("route_class") or t.route_class or "task"
        defaults = vocab.ROUTE_DEFAULTS.get(cls)
        due = t.due_at_unix
        if "due_in" in args:
            m = _DUE.match(args["due_in"])
            if m is None:
                raise ToolError("due_in must look like 30m, 2h or 1d")
            due = int(clock()) + int(m.group(1)) * _UNIT[m.group(2)]
        lane = args.get("lane") or t.assigned_lane or (defaults.lane if defaults else "")
        priority = args.get("priority") or t.priority or (defaults.priority if defaults else "")
        await routing.route(t.id, cls, priority, due, lane)
        return ToolResult(f"Task updated successfully (ID: {t.id}).")

    classes = sorted(vocab.ROUTE_CLASSES)
    return [
        Tool(
            "create_task",
            "Create a follow-up task for the agent to work on in the background.",
            obj(
                ["title", "description"],
                title=text(120),
                description=text(4000),
                priority={"enum": ["p1", "p2", "p3", "high", "urgent", "medium", "normal", "low"]},
            ),
            create_task,
        ),
        Tool(
            "lookup_task",
            "Look up a task of this workspace by id: status, due time, result.",
            obj(["task_id"], task_id=text(100)),
            lookup_task,
        ),
        Tool(
            "update_task",
            "Re-route a task of this workspace: class, priority, lane, due window.",
            {
                **obj(
                    ["task_id"],
                    task_id=text(100),
                    route_class={"enum": classes},
                    priority={"enum": sorted(vocab.PRIORITIES)},
                    lane=text(64),
                    due_in=text(8),
                ),
                "minProperties": 2,
            },
            update_task,
        ),
    ]
