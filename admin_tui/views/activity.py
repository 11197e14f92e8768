"""Activity: what this session did and what went wrong, newest first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header

from admin_tui.widgets import View, when

LEVELS = {"info": "[green]INFO [/]", "error": "[red]ERROR[/]"}


class ActivityView(View):
    """The session's event feed (local to this TUI; nothing is asked of the stack)."""

    LABEL = "Activity"

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = DataTable(id="activity", cursor_type="row")
        table.add_columns("time", "level", "event")
        yield table
        yield Footer()

    def reload(self) -> None:
        table = self.query_one("#activity", DataTable)
        table.clear()
        for n, e in enumerate(self.admin.activity):
            table.add_row(
                when(int(e.at_unix))[11:], LEVELS.get(e.level, e.level), e.text, key=str(n)
            )
