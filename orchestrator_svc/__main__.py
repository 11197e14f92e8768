"""`python -m orchestrator_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

from orchestrator_svc.clients import StoreTasks, open_store_channel
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.server import build_server
from store_svc.client import StoreApprovals
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(OrchestratorSettings)

    async def build() -> Service:
        store = open_store_channel(settings)
        deps = Deps(
            tasks=StoreTasks(store),
            watch_poll_seconds=settings.watch_poll_ms / 1000,
            approvals=StoreApprovals(store),
        )
        service = build_server(settings, deps)
        service.on_stop.append(store.close)
        return service

    run("orchestrator", settings, build)


if __name__ == "__main__":
    main()
