"""No stack: the TUI says what to run, and connects by itself once the stack answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from admin_tui.app import AdminApp
from admin_tui.link import EndpointsLink
from admin_tui.views.overview import OverviewView
from admin_tui.views.unreachable import UnreachableScreen
from svckit.testing import eventually
from tests.integration.conftest import Stack
from tests.tui.conftest import SIZE


def _text(app: AdminApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def test_without_a_stack_it_says_what_to_run(tmp_path: Path) -> None:
    app = AdminApp(EndpointsLink(tmp_path / "endpoints.json"), retry_s=0.1, refresh_s=0)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: "not found" in _text(app), "the reason shown")
        assert isinstance(app.screen, UnreachableScreen)
        assert "make run" in _text(app) and str(tmp_path / "endpoints.json") in _text(app)
        await pilot.press("2")  # no view opens while there is nothing to show
        assert isinstance(app.screen, UnreachableScreen) and app.backend is None


@pytest.mark.slow
async def test_it_connects_by_itself_when_the_stack_comes(tmp_path: Path, stack: Stack) -> None:
    path = tmp_path / "endpoints.json"
    app = AdminApp(EndpointsLink(path), retry_s=0.1, refresh_s=0)
    async with app.run_test(size=SIZE):
        await eventually(lambda: "not found" in _text(app), "the unreachable screen")
        shutil.copy(stack.data_dir / "endpoints.json", path)  # what `make run` writes
        await eventually(lambda: app.current_mode == "overview", "the overview", deadline=30)
        overview = app.screen
        assert isinstance(overview, OverviewView)
        await eventually(lambda: overview.shown, "the overview's figures", deadline=30)
        assert overview.shown is not None and overview.shown.health == {
            name: "SERVING" for name in stack.endpoints["services"]
        }
        assert not isinstance(app.screen, UnreachableScreen)
        assert any("connected to the stack" in e.text for e in app.activity)
