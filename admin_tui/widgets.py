"""What every view shares: RPCs in workers whose results come back as messages, the workspace
chooser, and how times and states are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Select

from admin_tui.backend import Backend

if TYPE_CHECKING:
    from admin_tui.app import AdminApp
    from agent_runtime.store.v1 import workspace_pb2

T = TypeVar("T")
ALL = ""  # the "every workspace / any status" choice of a filter


class Done(Message, Generic[T]):
    """An RPC's result, delivered on the UI's side to the function that wants it."""

    def __init__(self, then: Callable[[T], None], value: T) -> None:
        super().__init__()
        self.then = then
        self.value = value


class Failed(Message):
    """An RPC that failed; `what` says what the view was doing."""

    def __init__(self, what: str, error: BaseException) -> None:
        super().__init__()
        self.what = what
        self.error = error


def start(
    node: DOMNode, job: Callable[[], Awaitable[None]], group: str, *, exclusive: bool = True
) -> None:
    """Run `job` in a worker of `node`; an exclusive one replaces the group's previous job.
    The function, not a coroutine, is handed over: a job replaced before it started is then
    never created rather than left un-awaited."""
    node.run_worker(job, group=group, exclusive=exclusive, exit_on_error=False)


class View(Screen[None]):
    """One view of the TUI. `rpc` runs a backend call in a worker and posts its result as a
    message, so the UI never waits on the network."""

    LABEL: ClassVar[str] = ""
    AUTO_FOCUS = "DataTable"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "reload", "Refresh")]

    @property
    def admin(self) -> AdminApp:
        return cast("AdminApp", self.app)

    def rpc(
        self,
        what: str,
        call: Callable[[Backend], Awaitable[T]],
        then: Callable[[T], None],
        *,
        exclusive: bool = True,
    ) -> None:
        backend = self.admin.backend
        if backend is None:
            return

        async def job() -> None:
            try:
                value = await call(backend)
            except Exception as exc:  # every failure is shown, none is fatal to the UI
                self.post_message(Failed(what, exc))
                return
            self.post_message(Done(then, value))

        start(self, job, what, exclusive=exclusive)

    def on_done(self, message: Done[Any]) -> None:
        message.then(message.value)

    def on_failed(self, message: Failed) -> None:
        self.admin.failed(message.what, message.error)

    def on_screen_resume(self) -> None:
        self.sub_title = self.LABEL
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Ask the backend for what the view shows (in workers)."""

    def did(self, text: str) -> None:
        """Note a change this session made (the Activity view) and tell the operator."""
        self.admin.activity.add("info", text)
        self.notify(text)


class WorkspaceSelect(Select[str]):
    """Workspaces chosen from the store's list, never typed. With `every`, blank means every
    workspace; without, the first workspace is chosen until the operator picks another."""

    def __init__(self, *, every: bool = True, id: str | None = None) -> None:
        super().__init__([], prompt="all workspaces" if every else "workspace", id=id)
        self._every = every
        self._options_now: list[tuple[str, str]] = []

    def fill(self, workspaces: list[workspace_pb2.Workspace]) -> None:
        current = self.value
        options = [(f"{w.name or w.slug} ({w.slug})", w.id) for w in workspaces]
        if options == self._options_now:
            return
        self._options_now = options
        with self.prevent(Select.Changed):
            self.set_options(options)
            if any(value == current for _, value in options):
                self.value = current
        if not self._every and not isinstance(self.value, str) and options:
            self.value = options[0][1]

    @property
    def chosen(self) -> str:
        value = self.value
        return value if isinstance(value, str) else ALL


def selected(value: object) -> str:
    """A Select's value as a filter ("" for blank)."""
    return value if isinstance(value, str) else ALL


def row_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, if any."""
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    return str(key.value) if key.value is not None else None


def keep_cursor(table: DataTable[Any], key: str | None) -> None:
    """Put the cursor back on `key` after the rows were rebuilt."""
    if key is None:
        return
    try:
        table.move_cursor(row=table.get_row_index(key))
    except Exception:  # the row is gone
        return


def when(unix: int | None) -> str:
    """A time as UTC, or `n/a`."""
    if not unix:
        return "n/a"
    return dt.datetime.fromtimestamp(unix, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def age(ms: int) -> str:
    """A duration in milliseconds, short: 950ms, 12s, 3m20s, 2h05m."""
    if ms < 1000:
        return f"{ms}ms"
    s = ms // 1000
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


STATE_STYLE = {
    "healthy": "green",
    "idle": "green",
    "SERVING": "green",
    "succeeded": "green",
    "sent": "green",
    "approved": "green",
    "active": "green",
    "degraded": "yellow",
    "starting": "yellow",
    "queued": "yellow",
    "running": "cyan",
    "sending": "cyan",
    "pending": "yellow",
    "paused": "yellow",
    "unknown": "bold red",
    "failed": "red",
    "dead": "bold red",
    "denied": "red",
    "expired": "dim",
    "canceled": "dim",
    "revoked": "dim",
}


def styled(state: str) -> str:
    """`state` as Rich markup in its colour (the 16 basic colours: fine in any terminal)."""
    style = STATE_STYLE.get(state)
    return f"[{style}]{state}[/]" if style else state
