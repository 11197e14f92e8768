"""`python -m scheduler_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

import asyncio
import contextlib

from scheduler_svc.clients import (
    ORCHESTRATOR_RETRY_METHODS,
    RETRY_METHODS,
    OrchestratorTasks,
    StoreLease,
    StoreObjectives,
)
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.server import build_loop, build_server
from store_svc.client import StoreComponents, keep_reporting
from svckit.channels import open_channel
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(SchedulerSettings)

    async def build() -> Service:
        cert = settings.pki.service("scheduler")
        store = open_channel(
            settings.store_addr,
            settings.pki,
            cert,
            retry_methods=RETRY_METHODS,
            default_timeout=settings.rpc_timeout_seconds,
            relay_admin=True,  # the store's audit log names the admin behind a call, via us
            keepalive=settings.keepalive,
        )
        orchestrator = open_channel(
            settings.orchestrator_addr,
            settings.pki,
            cert,
            retry_methods=ORCHESTRATOR_RETRY_METHODS,
            default_timeout=settings.rpc_timeout_seconds,
            keepalive=settings.keepalive,
        )
        deps = Deps(
            objectives=StoreObjectives(store),
            tasks=OrchestratorTasks(orchestrator),
            leases=StoreLease(store),
        )
        loop = build_loop(settings, deps)
        service = build_server(settings, deps, loop)
        components = StoreComponents(store, loop.leadership.holder)
        beats: list[asyncio.Task[None]] = []

        async def start_beats() -> None:
            interval = settings.heartbeat_interval_seconds
            beats.append(asyncio.create_task(keep_reporting(components, loop.component, interval)))

        async def stop_beats() -> None:
            for task in beats:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        async def close_channels() -> None:
            await orchestrator.close()
            await store.close()

        if settings.scheduler_firing:
            service.on_start.append(start_beats)
            service.on_stop.append(stop_beats)
        # first in, last run: after the firing loop has stopped and given up its lease
        service.on_stop.insert(0, close_channels)
        return service

    run("scheduler", settings, build)


if __name__ == "__main__":
    main()
