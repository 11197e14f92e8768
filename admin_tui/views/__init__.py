"""The views, in the order of their number keys (1 … 9)."""

from __future__ import annotations

from admin_tui.views.activity import ActivityView
from admin_tui.views.approvals import ApprovalsView
from admin_tui.views.deadletters import DeadLettersView
from admin_tui.views.deliveries import DeliveriesView
from admin_tui.views.identities import IdentitiesView
from admin_tui.views.objectives import ObjectivesView
from admin_tui.views.overview import OverviewView
from admin_tui.views.pairings import PairingsView
from admin_tui.views.tasks import TasksView
from admin_tui.widgets import View

VIEWS: dict[str, tuple[str, type[View]]] = {
    "overview": ("Overview", OverviewView),
    "tasks": ("Tasks", TasksView),
    "approvals": ("Approvals", ApprovalsView),
    "objectives": ("Objectives", ObjectivesView),
    "pairings": ("Pairings", PairingsView),
    "identities": ("Identities", IdentitiesView),
    "dead_letters": ("Dead letters", DeadLettersView),
    "deliveries": ("Deliveries", DeliveriesView),
    "activity": ("Activity", ActivityView),
}
