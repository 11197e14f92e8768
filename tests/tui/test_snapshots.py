"""SVG snapshots of the main screens at 80x24, on fixed data and a fixed clock
(`pytest --snapshot-update` rewrites them after an intended change)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from admin_tui.app import AdminApp
from admin_tui.link import EndpointsLink
from admin_tui.views.overview import OverviewView
from svckit.testing import eventually
from tests.tui.canned import NOW, CannedLink

SnapCompare = Callable[..., bool]


def _app() -> AdminApp:
    return AdminApp(CannedLink(), clock=lambda: float(NOW), refresh_s=0)


async def _overview(pilot: Pilot[None]) -> None:
    app = pilot.app
    await eventually(lambda: isinstance(app.screen, OverviewView) and app.screen.shown, "data")
    await pilot.pause()


def _view(key: str, table: str) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        await _overview(pilot)
        await pilot.press(key)
        await eventually(lambda: pilot.app.screen.query_one(f"#{table}", DataTable).row_count,
                         f"rows of #{table}")  # fmt: skip
        await pilot.pause()

    return run_before


def test_overview(snap_compare: SnapCompare) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_overview)


@pytest.mark.parametrize(
    ("key", "table"),
    [("2", "tasks"), ("3", "approvals"), ("4", "objectives"), ("5", "pairings"),
     ("6", "identities"), ("7", "dead-letters"), ("8", "deliveries"), ("9", "activity")],
)  # fmt: skip
def test_view(snap_compare: SnapCompare, key: str, table: str) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_view(key, table))


def test_unreachable(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = AdminApp(EndpointsLink(Path("/nonexistent/data/endpoints.json")), retry_s=3600,
                   refresh_s=0)  # fmt: skip

    async def run_before(pilot: Pilot[None]) -> None:
        await eventually(lambda: app.activity and "unreachable" in next(iter(app.activity)).text,
                         "the failed attempt")  # fmt: skip
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
