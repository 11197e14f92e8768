"""Tasks: filter by workspace, status and kind; inspect the prompt, result and artifact;
retry and cancel; rows change live through WatchTasks."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Select, Static

from admin_tui.dialogs import Ask
from admin_tui.widgets import (
    View,
    WorkspaceSelect,
    keep_cursor,
    row_key,
    selected,
    start,
    styled,
    when,
)
from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as opb

STATUSES = ("queued", "running", "succeeded", "failed", "dead", "canceled")
KINDS = ("general", "turn", "objective", "action", "reindex_markdown")
RETRYABLE = ("failed", "dead", "canceled")


def inspect(t: ores.Task) -> str:
    lines = [
        f"[b]{t.title}[/b]  {styled(t.status)}  kind {t.kind}  attempts {t.attempts}",
        f"id {t.id}  workspace {t.workspace_id}",
        f"created {when(t.created_at_unix)}  updated {when(t.updated_at_unix)}",
        "",
        "[b]prompt[/b]",
        t.prompt or "(none)",
    ]
    if t.result_text or t.result_summary:
        lines += ["", "[b]result[/b]", t.result_text or t.result_summary]
    if t.result_path:
        lines += ["", f"[b]artifact[/b] {t.result_path}"]
    if t.error_message:
        lines += ["", f"[b red]error[/] {t.error_message}"]
    if t.retry_of_task:
        lines.append(f"retry of {t.retry_of_task}")
    return "\n".join(lines)


class TaskChanged(Message):
    """A task changed (from WatchTasks)."""

    def __init__(self, task: ores.Task) -> None:
        super().__init__()
        self.task = task


class TasksView(View):
    """Task operations."""

    LABEL = "Tasks"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("y", "retry", "Retry"),
        Binding("c", "cancel", "Cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, ores.Task] = {}
        self._watching: str | None = None
        self.listed = 0  # answers of ListTasks shown so far

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="filters"):
            yield WorkspaceSelect(id="workspace")
            yield Select([(s, s) for s in STATUSES], prompt="any status", id="status")
            yield Select([(k, k) for k in KINDS], prompt="any kind", id="kind")
        table: DataTable[str] = DataTable(id="tasks", cursor_type="row", zebra_stripes=True)
        table.add_columns("title", "status", "kind", "try", "updated")
        yield table
        with VerticalScroll(classes="inspector"):
            yield Static("", id="task-inspector")
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#tasks", DataTable)

    def filters(self) -> tuple[str, str, str]:
        return (
            self.query_one(WorkspaceSelect).chosen,
            selected(self.query_one("#status", Select).value),
            selected(self.query_one("#kind", Select).value),
        )

    def reload(self) -> None:
        self.rpc("list workspaces", lambda b: b.workspaces(), self.query_one(WorkspaceSelect).fill)
        ws, status, kind = self.filters()
        self.rpc("list tasks", lambda b: b.tasks(ws, status, kind), self.show)
        self.watch_live(ws)

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.admin.backend is not None:
            ws, status, kind = self.filters()
            self.rpc("list tasks", lambda b: b.tasks(ws, status, kind), self.show)
            self.watch_live(ws)

    def show(self, tasks: list[ores.Task]) -> None:
        self.listed += 1
        self.items = {t.id: t for t in tasks}
        self.render_rows()

    def render_rows(self) -> None:
        table, key = self.table, row_key(self.table)
        table.clear()
        order = sorted(self.items.values(), key=lambda t: (-t.updated_at_unix, t.id))
        for t in order:
            table.add_row(
                t.title[:40], styled(t.status), t.kind, str(t.attempts),
                when(t.updated_at_unix)[5:], key=t.id,
            )  # fmt: skip
        keep_cursor(table, key)
        self.inspect_current()

    def inspect_current(self) -> None:
        key = row_key(self.table)
        task = self.items.get(key) if key else None
        self.query_one("#task-inspector", Static).update(inspect(task) if task else "no task")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.inspect_current()

    # --- live
    def watch_live(self, workspace_id: str) -> None:
        if self._watching == workspace_id or self.admin.backend is None:
            return
        self._watching = workspace_id
        backend = self.admin.backend

        async def follow() -> None:
            try:
                async for event in backend.watch_tasks(workspace_id):
                    self.post_message(TaskChanged(event.task))
            finally:
                self._watching = None

        start(self, follow, "watch")

    def on_task_changed(self, message: TaskChanged) -> None:
        t = message.task
        ws, status, kind = self.filters()
        matches = (not ws or t.workspace_id == ws) and (not status or t.status == status)
        if matches and (not kind or t.kind == kind):
            self.items[t.id] = t
        else:
            self.items.pop(t.id, None)
        self.render_rows()

    # --- actions
    def current(self) -> ores.Task | None:
        key = row_key(self.table)
        return self.items.get(key) if key else None

    def action_retry(self) -> None:
        t = self.current()
        if t is None:
            return
        if t.status not in RETRYABLE:
            self.notify("only failed, dead or canceled tasks can be retried", severity="warning")
            return
        self.rpc("retry task", lambda b: b.retry_task(t.id), self.retried)

    def retried(self, reply: opb.RetryTaskResponse) -> None:
        self.did(f"retried task {reply.retry_of_task} as {reply.task_id}")
        self.reload()

    def action_cancel(self) -> None:
        t = self.current()
        if t is None or t.status not in ("queued", "running"):
            self.notify("only queued or running tasks can be canceled", severity="warning")
            return

        def confirmed(reason: str | None) -> None:
            if reason is not None:
                self.rpc("cancel task", lambda b: b.cancel_task(t.id, reason), self.canceled)

        self.app.push_screen(Ask(f"Cancel “{t.title}”? Reason:", "canceled by admin"), confirmed)

    def canceled(self, task: ores.Task) -> None:
        self.did(f"canceled task {task.id} ({task.status})")
        self.reload()
