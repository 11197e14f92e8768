"""Objectives: create, edit, pause/resume, run now, delete (after a confirmation); their
statistics and next fire times."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from admin_tui.backend import Objective
from admin_tui.dialogs import Confirm
from admin_tui.views.objective_form import ObjectiveForm
from admin_tui.widgets import View, WorkspaceSelect, keep_cursor, row_key, styled, when
from agent_runtime.scheduler.v1 import resources_pb2 as sres
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.store.v1 import workspace_pb2


def trigger(o: sres.Objective) -> str:
    if o.trigger_type == "schedule":
        return o.cron_expr
    if o.trigger_type == "at":
        return f"at {when(o.run_at_unix)[:16]}"
    return f"event {o.event_key}"


def inspect(o: sres.Objective) -> str:
    rate = f"{100 * o.success_count / o.run_count:.0f}%" if o.run_count else "n/a"
    nexts = ", ".join(when(t)[5:16] for t in o.next_runs_unix[:3]) or "n/a"
    lines = [
        f"[b]{o.title}[/b]  {styled('active' if o.active else 'paused')}  "
        f"health {styled(o.health_state)}  trigger {trigger(o)} ({o.timezone})",
        f"next {nexts}   last {when(o.last_run_unix)}",
        f"runs {o.run_count}  ok {o.success_count}  failed {o.failure_count}  rate {rate}  "
        f"avg {o.avg_run_duration_ms} ms  failing in a row {o.consecutive_failures}",
        f"id {o.id}",
    ]
    if o.auto_paused_reason:
        lines.append(f"[yellow]auto-paused:[/] {o.auto_paused_reason}")
    if o.last_error:
        lines.append(f"[red]last error[/] {o.last_error}")
    lines += ["", o.prompt]
    return "\n".join(lines)


class ObjectivesView(View):
    """Recurring and event-driven work."""

    LABEL = "Objectives"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("n", "create", "New"),
        Binding("e", "edit", "Edit"),
        Binding("p", "pause_resume", "Pause/resume"),
        Binding("g", "run_now", "Run now"),
        Binding("x", "delete", "Delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, sres.Objective] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="filters"):
            yield WorkspaceSelect(every=False, id="workspace")
        table: DataTable[str] = DataTable(id="objectives", cursor_type="row", zebra_stripes=True)
        table.add_columns("title", "state", "health", "trigger", "next run")
        yield table
        with VerticalScroll(classes="inspector"):
            yield Static("", id="objective-inspector")
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#objectives", DataTable)

    @property
    def workspace(self) -> str:
        return self.query_one(WorkspaceSelect).chosen

    def reload(self) -> None:
        self.rpc("list workspaces", lambda b: b.workspaces(), self.query_one(WorkspaceSelect).fill)
        self.load()

    def load(self) -> None:
        ws = self.workspace
        if ws:
            self.rpc("list objectives", lambda b: b.objectives(ws), self.show)

    def on_select_changed(self) -> None:
        self.load()

    def show(self, items: list[sres.Objective]) -> None:
        self.items = {o.id: o for o in items}
        table, key = self.table, row_key(self.table)
        table.clear()
        for o in items:
            nxt = when(o.next_run_unix)[5:16] if o.HasField("next_run_unix") else "n/a"
            table.add_row(
                o.title[:28], styled("active" if o.active else "paused"),
                styled(o.health_state), trigger(o)[:18], nxt, key=o.id,
            )  # fmt: skip
        keep_cursor(table, key)
        self.inspect_current()

    def current(self) -> sres.Objective | None:
        key = row_key(self.table)
        return self.items.get(key) if key else None

    def inspect_current(self) -> None:
        o = self.current()
        self.query_one("#objective-inspector", Static).update(inspect(o) if o else "no objective")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.inspect_current()

    # --- actions
    def action_pause_resume(self) -> None:
        o = self.current()
        if o is not None:
            active = not o.active
            self.rpc("pause/resume", lambda b: b.set_objective_active(o.id, active), self.toggled)

    def toggled(self, o: sres.Objective) -> None:
        self.did(f"objective {o.title!r} {'resumed' if o.active else 'paused'}")
        self.reload()

    def action_run_now(self) -> None:
        o = self.current()
        if o is not None:
            self.rpc("run now", lambda b: b.run_objective_now(o.id), self.ran)

    def ran(self, reply: spb.RunObjectiveNowResponse) -> None:
        self.did(f"objective run {reply.run.id} {reply.run.status} (task {reply.run.task_id})")
        self.reload()

    def action_delete(self) -> None:
        o = self.current()
        if o is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.rpc("delete objective", lambda b: b.delete_objective(o.id), self.deleted)

        self.app.push_screen(Confirm(f"Delete objective {o.title!r}?"), answered)

    def deleted(self, _: bool) -> None:
        self.did("objective deleted")
        self.reload()

    def action_create(self) -> None:
        ws = self.workspace
        if not ws:
            self.notify("choose a workspace first", severity="warning")
            return
        self.rpc("list contexts", lambda b: b.contexts(ws), lambda c: self.open_form(ws, c, None))

    def action_edit(self) -> None:
        o = self.current()
        if o is None:
            return
        start = Objective(o.workspace_id, o.context_id, o.title, o.prompt, o.trigger_type,
                          o.cron_expr, o.event_key, o.timezone, o.run_at_unix)  # fmt: skip
        self.open_form(o.workspace_id, [], start, o.id)

    def open_form(
        self,
        ws: str,
        contexts: list[workspace_pb2.Context],
        start: Objective | None,
        objective_id: str = "",
    ) -> None:
        options = [(f"{c.connector} {c.external_id}", c.id) for c in contexts]

        def saved(o: Objective | None) -> None:
            if o is None:
                return
            if objective_id:
                self.rpc("edit objective", lambda b: b.update_objective(objective_id, o),
                         self.saved)  # fmt: skip
            else:
                self.rpc("create objective", lambda b: b.create_objective(o), self.saved)

        self.app.push_screen(ObjectiveForm(ws, options, start), saved)

    def saved(self, o: sres.Objective) -> None:
        self.did(f"objective {o.title!r} saved")
        self.reload()
