"""`agent-runtime tui`: the admin TUI on the stack that endpoints.json names, as its admin
certificate (the same file and certificate as `agent-runtime chat`)."""

from __future__ import annotations

from pathlib import Path

from runtime_cli import endpoints


def run(given: Path | None) -> int:
    from admin_tui.app import AdminApp
    from admin_tui.link import EndpointsLink

    AdminApp(EndpointsLink(endpoints.path(given))).run()
    return 0
