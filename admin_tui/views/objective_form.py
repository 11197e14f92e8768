"""The form that creates or edits an objective (a modal over the Objectives view)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from admin_tui.backend import Objective

TRIGGERS = ("schedule", "at", "event")
AT_FORMAT = "%Y-%m-%d %H:%M"


def parse_at(text: str, timezone: str) -> int:
    """`YYYY-MM-DD HH:MM` in `timezone` as unix seconds; 0 (the scheduler then says what is
    missing) when it is empty or not such a time."""
    try:
        local = dt.datetime.strptime(text, AT_FORMAT).replace(tzinfo=ZoneInfo(timezone))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return 0
    return int(local.timestamp())


def show_at(unix: int, timezone: str) -> str:
    if not unix:
        return ""
    try:
        zone: dt.tzinfo = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = dt.UTC
    return dt.datetime.fromtimestamp(unix, zone).strftime(AT_FORMAT)


class ObjectiveForm(ModalScreen[Objective | None]):
    """Title, prompt, trigger (cron / `@every 10m`, a time, or an event key), time zone and,
    for a new objective, the chat context that receives its results."""

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
            yield Input(show_at(s.run_at_unix, s.timezone),
                        placeholder="at: YYYY-MM-DD HH:MM (at trigger)", id="at")  # fmt: skip
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
        timezone = self.value("timezone") or "UTC"
        kind = trigger if isinstance(trigger, str) else "schedule"
        self.dismiss(
            Objective(
                workspace_id=self._workspace_id,
                context_id=context,
                title=self.value("title"),
                prompt=self.value("prompt"),
                trigger_type=kind,
                # only the field of the chosen trigger: the scheduler checks what it gets
                cron_expr=self.value("cron") if kind == "schedule" else "",
                event_key=self.value("event") if kind == "event" else "",
                timezone=timezone,
                run_at_unix=parse_at(self.value("at"), timezone) if kind == "at" else 0,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
