"""The help screen: the keys of the view underneath and the global ones."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL = (
    ("1 … 9", "switch view: Overview, Tasks, Approvals, Objectives, Pairings, Identities, "
     "Dead letters, Deliveries, Activity"),
    ("ctrl+p", "command palette (views, theme, quit …)"),
    ("tab / shift+tab", "move between filters, table and inputs"),
    ("?", "this help (again to close)"),
    ("q", "quit"),
)  # fmt: skip


def _keys(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            rows.append((b.key, b.description))
        elif isinstance(b, tuple) and len(b) >= 3:
            rows.append((str(b[0]), str(b[2])))
    return rows


class HelpScreen(ModalScreen[None]):
    """Keys, as a modal over the view it explains."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark", "dismiss", "Close")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__(id="help")
        self._under = under

    def compose(self) -> ComposeResult:
        view = _keys(list(type(self._under).BINDINGS))
        lines = [f"[b]{self._under.sub_title or 'This view'}[/b]"]
        lines += [f"  [b]{k:<16}[/b] {d}" for k, d in view] or ["  (no keys of its own)"]
        lines += ["", "[b]Everywhere[/b]"]
        lines += [f"  [b]{k:<16}[/b] {d}" for k, d in GLOBAL]
        lines += ["", "Keys never reach the view while you type in an input field."]
        with VerticalScroll(id="help-box"):
            yield Static("\n".join(lines))
