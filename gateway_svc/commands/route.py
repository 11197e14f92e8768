"""/route <task-id> <class> [p1|p2|p3] [due-window]: override a task's triage routing
(admin of the workspace, in an admin channel; REFERENCE.md §1.2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from gateway_svc.commands.base import Call, Command, Denied, need
from svckit.errors import NotFound

USAGE = (
    "Usage: /route <task-id> <question|issue|task|moderation|noise> [p1|p2|p3]"
    " [due-window like 2h or 1d]"
)
# class -> (priority, due window in seconds or 0, lane)
DEFAULTS = {
    "moderation": ("p1", 2 * 3600, "moderation"),
    "issue": ("p2", 8 * 3600, "operations"),
    "question": ("p3", 48 * 3600, "support"),
    "task": ("p2", 24 * 3600, "operations"),
    "noise": ("p3", 0, "backlog"),
}
PRIORITIES = {"p1": "p1", "high": "p1", "urgent": "p1", "p2": "p2", "medium": "p2"}
PRIORITIES |= {"normal": "p2", "p3": "p3", "low": "p3"}
_UNIT = {"h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")


def due_window(text: str) -> int | None:
    """Seconds of `<N>d` or a duration such as `90m`, `2h30m`; None when invalid or zero."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+d", text):
        days = int(text[:-1])
        return days * 86400 if days > 0 else None
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    seconds = int(sum(float(n) * _UNIT[u] for n, u in parts))
    return seconds if seconds > 0 else None


async def route(call: Call) -> str:
    call.require_admin()
    if not call.context.is_admin:
        raise Denied("Access denied: route overrides are only allowed in admin channels.")
    args = call.arg.split()
    if len(args) < 2:
        return USAGE
    turns = need(call.tools.turns, "Tasks are unavailable in this runtime.")
    routing = need(call.tools.routing, "Routing is unavailable in this runtime.")
    try:
        task = await turns.get_task(args[0])
    except NotFound:
        return "Task not found."
    ws = call.context.workspace_id
    if task.workspace_id and ws and task.workspace_id.lower() != ws.lower():
        return "Access denied: task belongs to a different workspace."
    cls = args[1].lower()
    if cls not in DEFAULTS:
        return "Invalid route class. Use: question, issue, task, moderation, noise."
    priority, window, lane = DEFAULTS[cls]
    if len(args) > 2:
        if args[2].lower() in PRIORITIES:
            priority = PRIORITIES[args[2].lower()]
        else:
            window = due_window(args[2]) or window
    if len(args) > 3:
        given = due_window(args[3])
        if given is None:
            return "Invalid due window. Examples: `2h`, `8h`, `1d`, `2d`."
        window = given
    if cls == "noise":
        priority, window = "p3", 0
    due = int(call.tools.clock()) + window if window else 0
    await routing.update(task.id, cls, priority, due, lane)
    return "\n".join(
        [
            f"Routing updated for `{task.id}`:",
            f"- class: `{cls}`",
            f"- priority: `{priority}`",
            f"- lane: `{lane}`",
            f"- due: `{_rfc3339(due)}`" if due else "- due: `(none)`",
        ]
    )


def _rfc3339(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat().replace("+00:00", "Z")


COMMANDS = (
    Command(
        "route",
        "Override triage routing for a task",
        route,
        "override",
        "task-id class [p1|p2|p3] [due-window]",
        True,
        admin=True,
    ),
)
