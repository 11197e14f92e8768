"""Pairings: look up a request by the token its user was given, approve it with a chosen role
(default member, never the approver's own), or deny it. Pending requests are listed beside."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Header, Input, Select, Static

from admin_tui.backend import ROLES
from admin_tui.dialogs import Ask
from admin_tui.widgets import View, styled, when
from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb


def normalise(token: str) -> str:
    """As the original: upper case, only A-Z, 0-9 and dashes."""
    return re.sub(r"[^A-Z0-9-]", "", token.strip().upper())[:128]


def describe(p: gres.Pairing) -> str:
    return (
        f"[b]{p.display_name}[/b] ({p.connector} {p.connector_user_id})  {styled(p.status)}\n"
        f"id {p.id}  token {p.token_hint}  expires {when(p.expires_at_unix)}"
    )


class PairingsView(View):
    """Connector accounts asking to be linked."""

    LABEL = "Pairings"
    BINDINGS: ClassVar[list[BindingType]] = [
        *View.BINDINGS,
        Binding("a", "approve", "Approve"),
        Binding("d", "deny", "Deny"),
        Binding("t", "new", "Token"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.found: gres.Pairing | None = None
        self.token = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="filters"):
            yield Input(placeholder="paste pairing token, enter looks it up", id="token")
            yield Select([(r, r) for r in ROLES], value="member", allow_blank=False, id="role")
        yield Static("no pairing looked up", id="pairing-found")
        with Horizontal(classes="buttons"):
            yield Button("Approve (a)", id="approve", variant="success")
            yield Button("Deny (d)", id="deny", variant="error")
        table: DataTable[str] = DataTable(id="pairings", cursor_type="row", zebra_stripes=True)
        table.add_columns("name", "connector", "account", "token", "expires")
        yield table
        yield Footer()

    def reload(self) -> None:
        self.rpc("list pairings", lambda b: b.pairings("pending"), self.show)

    def show(self, items: list[gres.Pairing]) -> None:
        table, now = self.query_one("#pairings", DataTable), self.admin.clock()
        table.clear()
        for p in items:
            # pending in the store until someone touches it, but no longer approvable
            expires = when(p.expires_at_unix)[5:]
            shown = styled("expired") if p.expires_at_unix < now else expires
            table.add_row(
                p.display_name[:18], p.connector, p.connector_user_id[:16], p.token_hint,
                shown, key=p.id,
            )  # fmt: skip

    def on_input_submitted(self, event: Input.Submitted) -> None:
        token = normalise(event.value)
        if not token:
            return
        self.token = token
        self.rpc("look up pairing", lambda b: b.lookup_pairing(token), self.looked_up)

    def looked_up(self, pairing: gres.Pairing) -> None:
        self.found = pairing
        self.query_one("#pairing-found", Static).update(describe(pairing))
        self.query_one("#role", Select).focus()

    @property
    def role(self) -> str:
        value = self.query_one("#role", Select).value
        return value if isinstance(value, str) else "member"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()
        elif event.button.id == "deny":
            self.action_deny()

    def action_approve(self) -> None:
        if self.found is None or self.found.status != "pending":
            self.notify("look up a pending pairing first", severity="warning")
            return
        token, role = self.token, self.role
        self.rpc("approve pairing", lambda b: b.approve_pairing(token, role), self.approved)

    def approved(self, reply: gpb.ApprovePairingResponse) -> None:
        self.did(f"pairing {reply.id} approved as {self.role}: user {reply.approved_user_id}")
        self.query_one("#pairing-found", Static).update(
            f"approved: user {reply.approved_user_id}, identity {reply.identity_id} ({self.role})"
        )
        self.found = None
        self.reload()

    def action_deny(self) -> None:
        if self.found is None or self.found.status != "pending":
            self.notify("look up a pending pairing first", severity="warning")
            return
        token = self.token

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.rpc("deny pairing", lambda b: b.deny_pairing(token, reason), self.denied)

        self.app.push_screen(Ask("Deny this pairing? Reason:", "denied by admin"), answered)

    def denied(self, reply: gpb.DenyPairingResponse) -> None:
        self.did(f"pairing {reply.id} denied: {reply.denied_reason}")
        self.query_one("#pairing-found", Static).update(f"denied: {reply.denied_reason}")
        self.found = None
        self.reload()

    def action_new(self) -> None:
        self.found, self.token = None, ""
        field = self.query_one("#token", Input)
        field.value = ""
        field.focus()
        self.query_one("#pairing-found", Static).update("no pairing looked up")
