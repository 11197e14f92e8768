"""The objective form's reading of an `at` time, in the objective's time zone."""

from __future__ import annotations

from admin_tui.views.objective_form import parse_at, show_at


def test_an_at_time_is_read_in_the_objectives_time_zone_and_shown_back() -> None:
    assert parse_at("2026-12-06 09:30", "UTC") == 1_796_549_400
    assert parse_at("2026-12-06 10:30", "Europe/Berlin") == 1_796_549_400
    assert show_at(1_796_549_400, "Europe/Berlin") == "2026-12-06 10:30"


def test_what_is_not_a_time_leaves_it_to_the_scheduler_to_say_so() -> None:
    assert parse_at("tomorrow", "UTC") == 0
    assert parse_at("2026-12-06 09:30", "Mars/Olympus") == 0
    assert show_at(0, "UTC") == ""
