"""Identities: linked chat accounts and their roles; change a role, revoke with a reason."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from admin_tui.backend import ROLES
from admin_tui.dialogs import Ask, Choose
from admin_tui.widgets import View, keep_cursor, row_key, styled, when
from agent_runtime.gateway.v1 import resources_pb2 as gres


class IdentitiesView(View):
    """Who may talk to the runtime, and as what."""

    LABEL = "Identities"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("o", "role", "Change role"),
        Binding("v", "revoke", "Revoke"),
        Binding("h", "toggle_revoked", "Show revoked"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, gres.Identity] = {}
        self.include_revoked = False

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str] = DataTable(id="identities", cursor_type="row", zebra_stripes=True)
        table.add_columns("connector", "account", "name", "role", "status", "linked")
        yield table
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#identities", DataTable)

    def reload(self) -> None:
        revoked = self.include_revoked
        self.rpc("list identities", lambda b: b.identities(revoked), self.show)

    def show(self, items: list[gres.Identity]) -> None:
        self.items = {i.id: i for i in items}
        table, key = self.table, row_key(self.table)
        table.clear()
        for i in items:
            table.add_row(
                i.connector, i.connector_user_id[:16], i.display_name[:16], i.role,
                styled(i.status), when(i.created_at_unix)[:10], key=i.id,
            )  # fmt: skip
        keep_cursor(table, key)

    def current(self) -> gres.Identity | None:
        key = row_key(self.table)
        return self.items.get(key) if key else None

    def action_toggle_revoked(self) -> None:
        self.include_revoked = not self.include_revoked
        self.reload()

    def action_role(self) -> None:
        i = self.current()
        if i is None:
            return

        def chosen(role: str | None) -> None:
            if role is not None and role != i.role:
                self.rpc("set role", lambda b: b.set_identity_role(i.id, role), self.changed)

        self.app.push_screen(Choose(f"Role of {i.display_name or i.id}:", ROLES, i.role), chosen)

    def changed(self, i: gres.Identity) -> None:
        self.did(f"identity {i.id} ({i.display_name}) is now {i.role}")
        self.reload()

    def action_revoke(self) -> None:
        i = self.current()
        if i is None or i.status == "revoked":
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.rpc("revoke identity", lambda b: b.revoke_identity(i.id, reason), self.revoked)

        self.app.push_screen(Ask(f"Revoke {i.display_name or i.id}? Reason:", "revoked by admin"),
                             answered)  # fmt: skip

    def revoked(self, i: gres.Identity) -> None:
        self.did(f"revoked identity {i.id} ({i.display_name})")
        self.reload()
