"""The admin TUI: a Textual app over the services' gRPC APIs (REFERENCE.md §12, SPEC.md).

The app receives how to reach the stack (`Link`) in `__init__`; it connects in a worker, shows
the unreachable screen while the stack does not answer and tries again by itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from admin_tui.activity import Activity
from admin_tui.backend import Backend, is_unreachable
from admin_tui.link import Link
from admin_tui.views import VIEWS
from admin_tui.views.help import HelpScreen
from admin_tui.views.unreachable import UnreachableScreen
from admin_tui.widgets import View, start


class Connected(Message):
    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend


class Disconnected(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class AdminApp(App[None]):
    """Agent Runtime Control Plane."""

    TITLE = "Agent Runtime Control Plane"
    CSS_PATH = "styles.tcss"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        name: view for name, (_, view) in VIEWS.items()
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(n), f"switch_mode('{name}')", label, show=False)
            for n, (name, (label, _)) in enumerate(VIEWS.items(), start=1)
        ),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        link: Link,
        *,
        clock: Callable[[], float] = time.time,
        retry_s: float = 2.0,
        refresh_s: float = 8.0,
    ) -> None:
        super().__init__()
        self.link = link
        self.backend: Backend | None = None
        self.activity = Activity(clock)
        self.clock = clock
        self._retry_s = retry_s
        self._refresh_s = refresh_s
        self._unreachable: UnreachableScreen | None = None
        self._down_reason = ""

    def on_mount(self) -> None:
        self.activity.add("info", "session started")
        self._show_unreachable("connecting …")
        self.connect()
        if self._refresh_s > 0:
            self.set_interval(self._refresh_s, self._tick)

    # --- connection
    def connect(self) -> None:
        async def attempt() -> None:
            backend = None
            try:
                backend = self.link.open()
                await backend.heartbeat()
            except Exception as exc:
                if backend is not None:
                    await backend.close()
                self.post_message(Disconnected(str(exc) or type(exc).__name__))
                return
            self.post_message(Connected(backend))

        start(self, attempt, "connect")

    def on_connected(self, message: Connected) -> None:
        self.backend = message.backend
        self._down_reason = ""
        self.activity.add("info", f"connected to the stack ({self.link.where})")
        if self._unreachable is not None:
            screen, self._unreachable = self._unreachable, None
            screen.dismiss()
        if self.current_mode == "_default":
            self.switch_mode("overview")
        elif isinstance(self.screen, View):
            self.screen.reload()

    def on_disconnected(self, message: Disconnected) -> None:
        if self._down_reason != message.reason:  # once per reason, not once per attempt
            self._down_reason = message.reason
            self.activity.add("error", f"stack unreachable: {message.reason}")
        self._show_unreachable(message.reason)
        self.set_timer(self._retry_s, self.connect)

    def _show_unreachable(self, reason: str) -> None:
        if self._unreachable is None:
            self._unreachable = UnreachableScreen(self.link.where)
            self.push_screen(self._unreachable)
        self._unreachable.reason = reason

    def failed(self, what: str, error: BaseException) -> None:
        """A view's call failed: the stack went away, or the service said no."""
        if is_unreachable(error):
            if self.backend is not None:  # the first call to notice; the others say no more
                backend, self.backend = self.backend, None
                start(self, backend.close, "disconnect", exclusive=False)
                self.post_message(Disconnected(f"{what}: {error}"))
            return
        self.activity.add("error", f"{what} failed: {error}")
        self.notify(f"{what} failed: {error}", severity="error", timeout=8)

    def _tick(self) -> None:
        if self.backend is not None and isinstance(self.screen, View):
            self.screen.reload()

    # --- keys and the command palette
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_mode":
            return self.backend is not None
        return True

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.backend is None:
            return
        for name, (label, _) in VIEWS.items():
            yield SystemCommand(
                f"View: {label}", f"open the {label} view", lambda n=name: self.switch_mode(n)
            )
        yield SystemCommand("Help", "keys of this view and the global ones", self.action_help)
