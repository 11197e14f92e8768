"""`python -m scheduler_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

from scheduler_svc.clients import RETRY_METHODS, StoreObjectives
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.server import build_server
from svckit.channels import open_channel
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(SchedulerSettings)

    async def build() -> Service:
        store = open_channel(
            settings.store_addr,
            settings.pki,
            settings.pki.service("scheduler"),
            retry_methods=RETRY_METHODS,
            default_timeout=settings.rpc_timeout_seconds,
            relay_admin=True,  # the store's audit log names the admin behind a call, via us
        )
        service = build_server(settings, Deps(objectives=StoreObjectives(store)))

        async def close_store() -> None:
            await store.close()

        service.on_stop.append(close_store)
        return service

    run("scheduler", settings, build)


if __name__ == "__main__":
    main()
