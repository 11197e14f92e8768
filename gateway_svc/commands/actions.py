"""/pending-actions, /approve-action, /deny-action: action approvals from chat (admins).

An approved action runs once, as the task keyed `approval:<id>` (gateway_svc.approvals)."""

from __future__ import annotations

import re

from agent_runtime.store.v1 import approval_pb2
from gateway_svc.approvals import DENIED_BY_ADMIN, FINISHED, approve_and_enqueue, await_outcome
from gateway_svc.commands.base import NO_LINK, NOT_ADMIN, Call, Command, Denied, need
from gateway_svc.deps import ApprovalStore
from svckit.errors import FailedPrecondition, NotFound

LIST_LIMIT = 10
_ACT_ID = re.compile(r"act_[a-z0-9_-]{4,}", re.IGNORECASE)
_NO_APPROVALS = "Action approvals are unavailable in this runtime."
NOT_FOUND = "Action approval not found."
NOT_PENDING = "Action approval is not pending."


def action_id(raw: str) -> str:
    """The id in `raw`: quotes and punctuation stripped, an `act_…` id found inside."""
    text = raw.strip().strip("`\"'").strip("[](){}<>,.;:!?")
    found = _ACT_ID.search(text)
    return found.group(0).lower() if found else text


def _line(a: approval_pb2.ActionApproval, everywhere: bool) -> str:
    line = f"- `{a.id}` {a.action_summary or a.action_type} ({a.action_type})"
    if everywhere:
        line += f" [{a.connector or 'unknown'}/{a.external_id or 'unknown'}]"
    return line


async def _decidable(
    call: Call, rows: list[approval_pb2.ActionApproval]
) -> list[approval_pb2.ActionApproval]:
    """The approvals of workspaces the sender administers."""
    allowed: dict[str, bool] = {}
    for a in rows:
        if a.workspace_id not in allowed:
            allowed[a.workspace_id] = await call.may_decide_in(a.workspace_id)
    return [a for a in rows if allowed[a.workspace_id]]


async def pending(call: Call) -> str:
    if not call.sender.linked:
        raise Denied(NO_LINK)
    store = need(call.tools.approvals, _NO_APPROVALS)
    here = {"status": "pending", "connector": call.msg.connector}
    here["external_id"] = call.msg.external_id
    rows = await _decidable(call, (await store.list(here, LIST_LIMIT, ""))[0])
    everywhere = not rows
    if everywhere:
        rows = await _decidable(call, (await store.list({"status": "pending"}, 50, ""))[0])
        rows = rows[:LIST_LIMIT]
    if not rows:
        if not call.sender.is_admin:
            raise Denied(NOT_ADMIN)
        return "No pending actions."
    head = "Pending actions (all contexts):" if everywhere else "Pending actions:"
    return "\n".join([head, *(_line(a, everywhere) for a in rows)])


async def _decider(call: Call, store: ApprovalStore, approval_id: str) -> str:
    """The sender, when admin of the approval's workspace (Denied otherwise)."""
    if not call.sender.linked:
        raise Denied(NO_LINK)
    row = await store.get(approval_id)
    return await call.require_admin_of(row.workspace_id)


async def approve(call: Call) -> str:
    aid = action_id(call.arg.split(maxsplit=1)[0] if call.arg else "")
    if not aid:
        return "Usage: /approve-action <action-id>"
    store = need(call.tools.approvals, _NO_APPROVALS)
    tasks = need(call.tools.tasks, "Actions cannot run in this runtime (no orchestrator).")
    try:
        who = await _decider(call, store, aid)
        row, task_id = await approve_and_enqueue(store, tasks, aid, who)
    except NotFound:
        return NOT_FOUND
    except FailedPrecondition:
        return NOT_PENDING
    row = await await_outcome(store, row, call.tools.approval_wait_ms)
    if row.execution_status in FINISHED:
        return outcome_reply(row)
    return f"I approved action `{aid}`; it runs once as task `{task_id}`."


def outcome_reply(a: approval_pb2.ActionApproval) -> str:
    """The reply of an approved action that finished (REFERENCE.md §1.2 wording)."""
    message = " ".join(a.execution_message.split())
    if a.execution_status == "succeeded":
        plugin = a.executor_plugin or "executor"
        done = message or "Completed successfully."
        return f"I approved action `{a.id}` and ran it with `{plugin}`. Outcome: {done}"
    if a.execution_status == "failed":
        return f"I approved action `{a.id}`, but execution failed. Outcome: {message}"
    if a.execution_status == "skipped":
        return f"I approved action `{a.id}`, but it was not run. Outcome: {message}"
    return (
        f"I approved action `{a.id}`, but it was interrupted after it started; it will not"
        " be repeated. Check its effect."
    )


async def deny(call: Call) -> str:
    first, _, rest = call.arg.partition(" ")
    aid = action_id(first)
    if not aid:
        return "Usage: /deny-action <action-id> [reason]"
    store = need(call.tools.approvals, _NO_APPROVALS)
    try:
        who = await _decider(call, store, aid)
        await store.decide(aid, False, who, rest.strip() or DENIED_BY_ADMIN)
    except NotFound:
        return NOT_FOUND
    except FailedPrecondition:
        return NOT_PENDING
    return f"Action `{aid}` denied."


COMMANDS = (
    Command("pending-actions", "List pending action approvals", pending, admin=True),
    Command(
        "approve-action", "Approve a pending action", approve, "action_id", "Action ID", True, True
    ),
    Command(
        "deny-action",
        "Deny a pending action",
        deny,
        "action_reason",
        "Action ID and optional reason",
        True,
        True,
    ),
)
