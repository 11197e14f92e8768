"""Shown while the stack does not answer; the app tries again by itself every few seconds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static


class UnreachableScreen(Screen[None]):
    """No stack: says what to run and why the last attempt failed."""

    reason: reactive[str] = reactive("", layout=True)

    def __init__(self, where: str) -> None:
        super().__init__(id="unreachable")
        self._where = where

    def compose(self) -> ComposeResult:
        # No Header: this screen may go within a frame of coming, and a Header dismissed
        # before it finished mounting raises in Textual.
        yield Static("[b]Agent Runtime Control Plane[/b] — waiting for the stack", id="bar")
        with Vertical(id="unreachable-box"):
            yield Static("[b]The agent-runtime stack is not reachable.[/b]", id="unreachable-title")
            yield Static(
                "Start it in another terminal with\n\n"
                "    [b]make run[/b]      (or: agent-runtime up)\n\n"
                f"The TUI looks for it through\n    {self._where}\n"
                "and reconnects by itself as soon as it answers.",
            )
            yield Static("", id="unreachable-reason")
        yield Footer()

    def watch_reason(self, reason: str) -> None:
        if self.is_mounted:
            self.query_one("#unreachable-reason", Static).update(f"[dim]last attempt: {reason}[/]")

    def on_mount(self) -> None:
        self.watch_reason(self.reason)
