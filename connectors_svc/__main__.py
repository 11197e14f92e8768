"""`python -m connectors_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

from connectors_svc.config import ConnectorsSettings
from connectors_svc.deps import Deps
from connectors_svc.server import build_server
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(ConnectorsSettings)

    async def build() -> Service:
        return build_server(settings, Deps())

    run("connectors", settings, build)


if __name__ == "__main__":
    main()
