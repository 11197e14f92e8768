"""Keyboard use on fixed data: the help screen, the command palette, confirmations."""

from __future__ import annotations

from textual.command import CommandList
from textual.widgets import Static

from admin_tui.app import AdminApp
from admin_tui.views.help import HelpScreen
from admin_tui.views.objectives import ObjectivesView
from admin_tui.views.overview import OverviewView
from admin_tui.views.tasks import TasksView
from svckit.testing import eventually
from tests.tui.canned import NOW, CannedLink
from tests.tui.conftest import SIZE


def _app() -> AdminApp:
    return AdminApp(CannedLink(), clock=lambda: float(NOW), refresh_s=0)


async def test_help_shows_the_keys_of_the_view_and_closes_again() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: isinstance(app.screen, OverviewView), "the overview")
        await pilot.press("2")
        await eventually(lambda: isinstance(app.screen, TasksView), "the tasks view")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).render())
        assert "Retry" in text and "Cancel" in text and "command palette" in text
        await pilot.press("question_mark")
        await eventually(lambda: isinstance(app.screen, TasksView), "the help closed")


async def test_the_command_palette_opens_a_view() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: isinstance(app.screen, OverviewView), "the overview")
        await pilot.press("ctrl+p")
        await pilot.press(*"Objectives")
        hits = app.screen.query_one(CommandList)
        await eventually(lambda: hits.option_count == 1, "one hit: View: Objectives")
        await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, ObjectivesView), "the objectives")


async def test_delete_asks_first_and_no_keeps_the_objective() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: isinstance(app.screen, OverviewView), "the overview")
        await pilot.press("4")
        view = app.screen
        assert isinstance(view, ObjectivesView)
        await eventually(lambda: view.items, "the objectives listed")
        await pilot.press("x")
        assert "Delete objective 'Daily digest'?" in str(
            app.screen.query_one("Label").render()  # the confirmation
        )
        await pilot.press("n")
        assert app.screen is view and not any("deleted" in e.text for e in app.activity)
