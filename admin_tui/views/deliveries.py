"""Deliveries: the outbound ledger by status, `unknown` first (a send whose outcome nobody
knows: it may have reached the chat)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Select, Static

from admin_tui.widgets import View, keep_cursor, row_key, selected, styled, when
from agent_runtime.store.v1 import delivery_pb2

STATUSES = ("unknown", "failed", "sending", "pending", "sent")
RANK = {"unknown": 0, "failed": 1, "sending": 2, "pending": 3}


def inspect(d: delivery_pb2.Delivery) -> str:
    return "\n".join(
        [
            f"[b]{d.connector}[/b] chat {d.chat_id}  {styled(d.status)}  attempts {d.attempts}",
            f"id {d.id}  key {d.idempotency_key}",
            f"created {when(d.created_at_unix)}  updated {when(d.updated_at_unix)}",
            f"[red]last error[/] {d.last_error}" if d.last_error else "",
            "",
            d.text,
        ]
    )


class DeliveriesView(View):
    """The outbound delivery ledger."""

    LABEL = "Deliveries"

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, delivery_pb2.Delivery] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="filters"):
            yield Select([(s, s) for s in STATUSES], prompt="any status", id="status")
        table: DataTable[str] = DataTable(id="deliveries", cursor_type="row", zebra_stripes=True)
        table.add_columns("connector", "chat", "status", "tries", "text", "updated")
        yield table
        with VerticalScroll(classes="inspector"):
            yield Static("", id="delivery-inspector")
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#deliveries", DataTable)

    def reload(self) -> None:
        status = selected(self.query_one("#status", Select).value)
        self.rpc("list deliveries", lambda b: b.deliveries(status), self.show)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.reload()

    def show(self, items: list[delivery_pb2.Delivery]) -> None:
        self.items = {d.id: d for d in items}
        table, key = self.table, row_key(self.table)
        table.clear()
        for d in sorted(items, key=lambda d: (RANK.get(d.status, 9), -d.updated_at_unix, d.id)):
            table.add_row(
                d.connector, d.chat_id[:14], styled(d.status), str(d.attempts),
                d.text.replace("\n", " ")[:24], when(d.updated_at_unix)[5:], key=d.id,
            )  # fmt: skip
        keep_cursor(table, key)
        self.inspect_current()

    def inspect_current(self) -> None:
        key = row_key(self.table)
        d = self.items.get(key) if key else None
        self.query_one("#delivery-inspector", Static).update(inspect(d) if d else "no deliveries")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.inspect_current()
