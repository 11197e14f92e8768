"""`python -m orchestrator_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.server import build_server
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(OrchestratorSettings)

    async def build() -> Service:
        return build_server(settings, Deps())

    run("orchestrator", settings, build)


if __name__ == "__main__":
    main()
