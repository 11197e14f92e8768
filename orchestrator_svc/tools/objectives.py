"""create_objective, update_objective: recurring agent work of the caller's workspace, stored
through the store's ObjectiveService, which validates cron, timezone and event keys and
plans the next run; the scheduler's leader fires it from there on its next tick (the
orchestrator never calls the scheduler, DESIGN.md §2). Pausing, resuming, deleting or
firing one stay an admin's: the store refuses the orchestrator those.

As the original's `checkAutoApproval` (REFERENCE.md §2.4): an agent task (a `/task`, an
objective's run) may use them; a chat turn only while its context holds a sensitive-tool
grant from an admin, since an objective keeps running the agent long after the chat. A
create is idempotent per call of a turn (the store's idempotency key is the call's),
so a reclaimed turn creates nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol, TypeVar

from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from orchestrator_svc.tools.base import Tool, ToolContext, ToolError, ToolResult, obj, text
from orchestrator_svc.tools.sensitive import call_key
from svckit import errors

_T = TypeVar("_T")
DEFAULT_CRON = "0 */6 * * *"
# an event trigger names its event
_EVENT_NEEDS_KEY = {
    "if": {"properties": {"trigger_type": {"const": "event"}}, "required": ["trigger_type"]},
    "then": {"required": ["event_key"]},
}
NEEDS_GRANT = (
    "approval required: in a chat, objectives can be created or changed only while an admin "
    "has granted sensitive tools to this chat (or ask for it as a /task)"
)


class Objectives(Protocol):
    """The store's objective API (`tool_clients.StoreObjectives`)."""

    async def create(self, req: orpc.CreateObjectiveRequest) -> stored.Objective: ...

    async def get(self, objective_id: str) -> stored.Objective: ...

    async def update(self, req: orpc.UpdateObjectiveRequest) -> stored.Objective: ...


class Grants(Protocol):
    async def granted(self, workspace_id: str, context_id: str) -> bool:
        """Whether the context holds an unexpired sensitive-tool grant."""
        ...


def objective_tools(objectives: Objectives, grants: Grants) -> list[Tool]:
    async def allowed(ctx: ToolContext) -> None:
        req = ctx.request
        if req.task.kind == "turn" and not await grants.granted(req.workspace_id, req.context_id):
            raise ToolError(NEEDS_GRANT)

    async def create_objective(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        await allowed(ctx)
        req = ctx.request
        trigger = args.get("trigger_type", "schedule")
        ask = orpc.CreateObjectiveRequest(
            workspace_id=req.workspace_id,
            context_id=req.context_id,
            title=args["title"],
            prompt=args["prompt"],
            trigger_type=trigger,
            event_key=args.get("event_key", ""),
            cron_expr=args.get("cron_expr", DEFAULT_CRON if trigger == "schedule" else ""),
            timezone=args.get("timezone", ""),
            idempotency_key=call_key(req.task.id, "create_objective", args),
        )
        if "active" in args:
            ask.active = bool(args["active"])
        made = await _refusing(objectives.create(ask))
        return ToolResult(f"Objective created successfully (ID: {made.id}).")

    async def update_objective(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
        await allowed(ctx)
        oid = args["objective_id"]
        found = await _refusing(objectives.get(oid))
        if found.workspace_id != ctx.request.workspace_id:
            raise ToolError("objective not found in this workspace")
        ask = orpc.UpdateObjectiveRequest(id=oid)
        for name in ("title", "prompt", "trigger_type", "event_key", "cron_expr", "timezone"):
            if name in args:
                setattr(ask, name, args[name])
        updated = await _refusing(objectives.update(ask))
        return ToolResult(f"Objective updated successfully (ID: {updated.id}).")

    return [
        Tool(
            "create_objective",
            "Create a recurring objective: the agent runs `prompt` on a cron schedule "
            f"(default `{DEFAULT_CRON}`) in an IANA timezone, or on an event.",
            {
                **obj(
                    ["title", "prompt"],
                    title=text(200),
                    prompt=text(4000),
                    trigger_type={"enum": ["schedule", "event"]},
                    event_key=text(100),
                    cron_expr=text(100),
                    timezone=text(64),
                    active={"type": "boolean"},
                ),
                **_EVENT_NEEDS_KEY,
            },
            create_objective,
            tool_class="objective",
        ),
        Tool(
            "update_objective",
            "Change an objective of this workspace: title, prompt, trigger, schedule or "
            "timezone (pausing and resuming are an admin's).",
            {
                **obj(
                    ["objective_id"],
                    objective_id=text(100),
                    title=text(200),
                    prompt=text(4000),
                    trigger_type={"enum": ["schedule", "event"]},
                    event_key=text(100),
                    cron_expr=text(100, min_length=0),
                    timezone=text(64),
                ),
                "minProperties": 2,
                **_EVENT_NEEDS_KEY,
            },
            update_objective,
            tool_class="objective",
        ),
    ]


async def _refusing(call: Awaitable[_T]) -> _T:
    """The store's refusal as a ToolError the model can read (and try otherwise)."""
    try:
        return await call
    except errors.NotFound:
        raise ToolError("objective not found in this workspace") from None
    except (errors.InvalidArgument, errors.AlreadyExists, errors.FailedPrecondition) as exc:
        raise ToolError(f"the objective was refused: {exc.message}") from None
