"""/task and /monitor: work for the chat's workspace (REFERENCE.md §1.2)."""

from __future__ import annotations

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.scheduler.v1 import service_pb2 as spb
from gateway_svc.commands.base import Call, Command, need

TITLE_BYTES = 72
DAY = 24 * 3600
MONITOR_CRON = "0 */6 * * *"
MONITORING = (
    "Monitoring objective created. I’ll keep checking and report updates until you pause or"  # noqa: RUF001 (the original reply)
    " delete it."
)


def _cut(text: str, limit: int, more: str = "") -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore") + more


async def task(call: Call) -> str:
    if not call.arg:
        return "Usage: /task <what should be done>"
    turns = need(call.tools.turns, "Tasks are unavailable in this runtime.")
    msg = call.msg
    queued = await turns.enqueue(
        orpc.EnqueueTaskRequest(
            workspace_id=call.context.workspace_id,
            context_id=call.context.id,
            title=_cut(call.arg, TITLE_BYTES),
            prompt=call.arg,
            kind="general",
            route_class="task",
            priority="p2",
            assigned_lane="operations",
            due_at_unix=int(call.tools.clock()) + DAY,
            source_connector=msg.connector.lower(),
            source_external_id=msg.external_id,
            source_user_id=msg.from_user_id,
            source_text=call.arg,
        )
    )
    return f"Task queued: `{queued.id}`"


async def monitor(call: Call) -> str:
    if not call.arg:
        return "Usage: /monitor <what to track>"
    scheduler = need(call.tools.scheduler, "Monitoring objectives are unavailable in this runtime.")
    goal = " ".join(call.arg.split())
    title = _cut("Monitor: " + _cut(goal, 120, "..."), TITLE_BYTES)
    await scheduler.create(
        spb.CreateObjectiveRequest(
            workspace_id=call.context.workspace_id,
            context_id=call.context.id,
            title=title,
            prompt=f"Monitor this target for updates and report only concrete changes:\n{goal}",
            trigger_type="schedule",
            cron_expr=MONITOR_CRON,
            timezone="UTC",
        )
    )
    return MONITORING


COMMANDS = (
    Command("task", "Create a routed task", task, "prompt", "What should be done", True),
    Command(
        "monitor", "Create a monitoring objective", monitor, "goal", "Objective to monitor", True
    ),
)
