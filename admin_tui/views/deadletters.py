"""Dead letters: tasks and deliveries that exhausted their attempts; inspect and replay."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from admin_tui.widgets import View, keep_cursor, row_key, styled, when
from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as opb


def inspect(d: ores.DeadLetter) -> str:
    lines = [
        f"[b]{d.kind}[/b] {d.subject_id}  {styled(d.status)}  attempts {d.attempts}",
        d.summary,
        f"id {d.id}  workspace {d.workspace_id or '-'}  created {when(d.created_at_unix)}",
        f"[red]last error[/] {d.last_error}",
    ]
    if d.replayed_as:
        lines.append(f"replayed {when(d.replayed_at_unix)} as {d.replayed_as}")
    return "\n".join(lines)


class DeadLettersView(View):
    """Work that gave up, and its replay."""

    LABEL = "Dead letters"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("y", "replay", "Replay"),
        Binding("h", "toggle_replayed", "Show replayed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, ores.DeadLetter] = {}
        self.include_replayed = False

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = DataTable(id="dead-letters", cursor_type="row", zebra_stripes=True)
        table.add_columns("kind", "summary", "status", "tries", "created")
        yield table
        with VerticalScroll(classes="inspector"):
            yield Static("", id="dead-letter-inspector")
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#dead-letters", DataTable)

    def reload(self) -> None:
        replayed = self.include_replayed
        self.rpc("list dead letters", lambda b: b.dead_letters(replayed), self.show)

    def show(self, items: list[ores.DeadLetter]) -> None:
        self.items = {d.id: d for d in items}
        table, key = self.table, row_key(self.table)
        table.clear()
        for d in items:
            table.add_row(
                d.kind, d.summary[:36], styled(d.status), str(d.attempts),
                when(d.created_at_unix)[5:], key=d.id,
            )  # fmt: skip
        keep_cursor(table, key)
        self.inspect_current()

    def current(self) -> ores.DeadLetter | None:
        key = row_key(self.table)
        return self.items.get(key) if key else None

    def inspect_current(self) -> None:
        d = self.current()
        self.query_one("#dead-letter-inspector", Static).update(
            inspect(d) if d else "no dead letters"
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.inspect_current()

    def action_toggle_replayed(self) -> None:
        self.include_replayed = not self.include_replayed
        self.reload()

    def action_replay(self) -> None:
        d = self.current()
        if d is None or d.status == "replayed":
            self.notify("choose a dead letter that was not replayed yet", severity="warning")
            return
        self.rpc("replay dead letter", lambda b: b.replay_dead_letter(d.id), self.replayed)

    def replayed(self, reply: opb.ReplayDeadLetterResponse) -> None:
        outcome = (reply.task_id and f"as task {reply.task_id}") or reply.delivery_status
        self.did(f"replayed dead letter {reply.dead_letter.id} {outcome}")
        self.reload()
