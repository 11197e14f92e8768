"""Running the admin TUI under Textual's Pilot against the real stack (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from admin_tui.app import AdminApp
from admin_tui.link import EndpointsLink
from svckit.channels import open_channel
from svckit.testing import eventually
from tests.integration.conftest import Stack

SIZE = (100, 32)


@asynccontextmanager
async def tui(stack: Stack) -> AsyncIterator[tuple[AdminApp, Pilot[None]]]:
    """The TUI connected to `stack`, on its Overview (auto-refresh off: tests reload)."""
    app = AdminApp(EndpointsLink(stack.data_dir / "endpoints.json"), refresh_s=0)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(
            lambda: app.backend is not None and app.current_mode == "overview",
            "the TUI connected",
            deadline=60,
        )
        yield app, pilot


async def open_view(app: AdminApp, pilot: Pilot[None], key: str, mode: str) -> None:
    await pilot.press(key)
    await eventually(lambda: app.current_mode == mode, f"the {mode} view", deadline=10)


async def open_objectives(app: AdminApp, pilot: Pilot[None], ws: str) -> None:
    """The objectives view with the workspace `ws` picked in its chooser."""
    await open_view(app, pilot, "4", "objectives")
    chooser = app.screen.query_one("#workspace", Select)
    await eventually(lambda: any(v == ws for _, v in chooser._options), "workspace listed")
    chooser.value = ws  # what picking it from the list does


async def select_row(app: AdminApp, table_id: str, key: str, reload: bool = False) -> None:
    """Wait until the view's table shows the row `key` (reloading while it does not) and put
    the cursor on it."""
    table: DataTable[Any] = app.screen.query_one(f"#{table_id}", DataTable)

    def shown() -> bool:
        if key in table.rows:
            return True
        if reload:
            app.screen.action_reload()  # type: ignore[attr-defined]
        return False

    await eventually(shown, f"row {key} in #{table_id}", deadline=30, every=0.3)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))


def admin_channel(stack: Stack, service: str) -> grpc.aio.Channel:
    """A channel of the test's own to check what the TUI changed."""
    return open_channel(stack.grpc(service), stack.pki, stack.admin)
