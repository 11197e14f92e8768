"""The form that creates or edits an objective (a modal over the Objectives view)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from admin_tui.backend import Objective

TRIGGERS = ("schedule", "event")


class ObjectiveForm(ModalScreen[Objective | None]):
    """Title, prompt, trigger (cron / `@every 10m`, or an event key), time zone and, for a new
    objective, the chat context that receives its results."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#title"

    def __init__(
        self, workspace_id: str, contexts: list[tuple[str, str]], start: Objective | None
    ) -> None:
        super().__init__(classes="dialog")
        self._workspace_id = workspace_id
        self._contexts = contexts
        self._start = start or Objective(workspace_id, "", "", "", cron_expr="@every 1h")

    def compose(self) -> ComposeResult:
        s = self._start
        with VerticalScroll(classes="dialog-box", id="objective-form"):
            yield Label("edit objective" if s.title else "new objective")
            yield Input(s.title, placeholder="title", id="title")
            yield Input(s.prompt, placeholder="prompt: what each run does", id="prompt")
            yield Select([(t, t) for t in TRIGGERS], value=s.trigger_type, allow_blank=False,
                         id="trigger")  # fmt: skip
            yield Input(s.cron_expr, placeholder="cron, or @every 10m", id="cron")
            yield Input(s.event_key, placeholder="event key (event trigger)", id="event")
            yield Input(s.timezone, placeholder="time zone (IANA)", id="timezone")
            if not s.context_id:
                yield Select(self._contexts, prompt="context for results", id="context")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "save":
            self.dismiss(None)
            return
        context = self._start.context_id
        if not context:
            chosen = self.query_one("#context", Select).value
            context = chosen if isinstance(chosen, str) else ""
        trigger = self.query_one("#trigger", Select).value
        self.dismiss(
            Objective(
                workspace_id=self._workspace_id,
                context_id=context,
                title=self.value("title"),
                prompt=self.value("prompt"),
                trigger_type=trigger if isinstance(trigger, str) else "schedule",
                cron_expr=self.value("cron"),
                event_key=self.value("event"),
                timezone=self.value("timezone") or "UTC",
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
