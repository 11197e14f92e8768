"""On fixed data: the help screen, the command palette, confirmations, and a stack that goes
away and comes back."""

from __future__ import annotations

from textual.command import CommandList
from textual.widgets import Static

from admin_tui.app import AdminApp
from admin_tui.backend import Backend
from admin_tui.views.help import HelpScreen
from admin_tui.views.objectives import ObjectivesView
from admin_tui.views.overview import OverviewView
from admin_tui.views.tasks import TasksView
from admin_tui.views.unreachable import UnreachableScreen
from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.orchestrator.v1 import service_pb2 as opb
from agent_runtime.store.v1 import workspace_pb2
from svckit import errors
from svckit.testing import eventually
from tests.tui.canned import NOW, CannedBackend, CannedLink
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


async def test_a_stack_that_goes_away_brings_the_unreachable_screen_until_it_is_back() -> None:
    link = FlakyLink()
    app = AdminApp(link, clock=lambda: float(NOW), retry_s=0.05, refresh_s=0)
    async with app.run_test(size=SIZE) as pilot:
        await eventually(lambda: isinstance(app.screen, OverviewView), "the overview")
        link.down = True
        await pilot.press("r")
        await eventually(lambda: isinstance(app.screen, UnreachableScreen), "unreachable")
        assert app.backend is None
        link.down = False
        await eventually(lambda: isinstance(app.screen, OverviewView), "the overview again")
        texts = [e.text for e in app.activity]
        assert texts[0].startswith("connected") and texts[1].startswith("stack unreachable")


class FlakyLink:
    """The canned stack, which stops answering while `down`."""

    where = "flaky"

    def __init__(self) -> None:
        self.down = False

    def open(self) -> Backend:
        return FlakyBackend(self)


class FlakyBackend(CannedBackend):
    def __init__(self, link: FlakyLink) -> None:
        super().__init__()
        self._link = link

    def _check(self) -> None:
        if self._link.down:
            raise errors.Unavailable("connection refused")

    async def heartbeat(self) -> gpb.GetHeartbeatResponse:
        self._check()
        return await super().heartbeat()

    async def health(self) -> dict[str, str]:
        self._check()
        return await super().health()

    async def queue_stats(self, workspace_id: str = "") -> opb.GetQueueStatsResponse:
        self._check()
        return await super().queue_stats(workspace_id)

    async def workspaces(self) -> list[workspace_pb2.Workspace]:
        self._check()
        return await super().workspaces()

    async def approvals(self, status: str) -> list[gres.Approval]:
        self._check()
        return await super().approvals(status)
