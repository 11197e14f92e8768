"""`python -m scheduler_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.server import build_server
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(SchedulerSettings)

    async def build() -> Service:
        return build_server(settings, Deps())

    run("scheduler", settings, build)


if __name__ == "__main__":
    main()
