"""Approvals: pending first; approve, deny with a reason; `unknown` executions flagged (the
action may or may not have run: look before acting again)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from admin_tui.backend import Backend
from admin_tui.dialogs import Ask
from admin_tui.widgets import View, keep_cursor, row_key, styled, when
from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb


async def listing(backend: Backend) -> list[gres.Approval]:
    """Every pending approval, and the decided ones of the first page of all."""
    pending = await backend.approvals("pending")
    seen = {a.id for a in pending}
    return pending + [a for a in await backend.approvals("all") if a.id not in seen]


def order(a: gres.Approval) -> tuple[int, int, str]:
    """Pending first (oldest first), then unknown executions, then the rest, newest first."""
    if a.status == "pending":
        return (0, a.created_at_unix, a.id)
    if a.execution_status == "unknown":
        return (1, -a.updated_at_unix, a.id)
    return (2, -a.updated_at_unix, a.id)


def execution(a: gres.Approval) -> str:
    if a.execution_status == "unknown":
        return "[bold red]⚠ unknown[/]"
    return styled(a.execution_status) if a.execution_status else "-"


def inspect(a: gres.Approval) -> str:
    lines = [
        f"[b]{a.action_type}[/b] → {a.action_target}  {styled(a.status)}",
        a.action_summary,
        f"id {a.id}  workspace {a.workspace_id}  requested by {a.requester_user_id}",
        f"created {when(a.created_at_unix)}  expires {when(a.expires_at_unix)}",
        f"execution {execution(a)} {a.execution_message}",
    ]
    if a.execution_status == "unknown":
        lines.append("[bold red]the action may or may not have run: check its target first[/]")
    if a.denied_reason:
        lines.append(f"denied: {a.denied_reason}")
    lines += ["", a.payload_json]
    return "\n".join(lines)


class ApprovalsView(View):
    """Sensitive actions waiting for an admin."""

    LABEL = "Approvals"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("a", "approve", "Approve"),
        Binding("d", "deny", "Deny"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, gres.Approval] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = DataTable(id="approvals", cursor_type="row", zebra_stripes=True)
        table.add_columns("action", "target", "status", "execution", "created")
        yield table
        with VerticalScroll(classes="inspector"):
            yield Static("", id="approval-inspector")
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#approvals", DataTable)

    def reload(self) -> None:
        self.rpc("list approvals", listing, self.show)

    def show(self, approvals: list[gres.Approval]) -> None:
        self.items = {a.id: a for a in approvals}
        table, key = self.table, row_key(self.table)
        table.clear()
        for a in sorted(approvals, key=order):
            table.add_row(
                a.action_type, a.action_target[:24], styled(a.status), execution(a),
                when(a.created_at_unix)[5:], key=a.id,
            )  # fmt: skip
        keep_cursor(table, key)
        self.inspect_current()

    def current(self) -> gres.Approval | None:
        key = row_key(self.table)
        return self.items.get(key) if key else None

    def inspect_current(self) -> None:
        a = self.current()
        self.query_one("#approval-inspector", Static).update(inspect(a) if a else "no approval")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.inspect_current()

    def action_approve(self) -> None:
        a = self.current()
        if a is None or a.status != "pending":
            self.notify("only pending approvals can be approved", severity="warning")
            return
        self.rpc("approve action", lambda b: b.approve_action(a.id), self.approved)

    def approved(self, reply: gpb.ApproveActionResponse) -> None:
        self.did(
            f"approved {reply.approval.action_type} {reply.approval.id} (task {reply.task_id})"
        )
        self.reload()

    def action_deny(self) -> None:
        a = self.current()
        if a is None or a.status != "pending":
            self.notify("only pending approvals can be denied", severity="warning")
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.rpc("deny action", lambda b: b.deny_action(a.id, reason), self.denied)

        self.app.push_screen(Ask(f"Deny {a.action_type} → {a.action_target}? Reason:",
                                 "denied by admin"), answered)  # fmt: skip

    def denied(self, approval: gres.Approval) -> None:
        self.did(f"denied {approval.action_type} {approval.id}: {approval.denied_reason}")
        self.reload()
