"""`python -m gateway_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

import asyncio
import time
from importlib import metadata

from gateway_svc import rest
from gateway_svc.api import SUCCESS_STATUS
from gateway_svc.clients import (
    STORE_RETRY_METHODS,
    GrpcHealthProbe,
    OrchestratorTasks,
    OrchestratorTurns,
    QmdIndex,
    SchedulerObjectives,
    StoreComponents,
    StoreContexts,
    StoreIdentities,
    StoreJournal,
    StoreOutbox,
    StorePairings,
    StoreRouting,
)
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.server import build_server
from store_svc.client import StoreApprovals
from svckit.channels import open_channel
from svckit.config import load_settings
from svckit.serve import Service, run

# What the heartbeat checks; every service answers Health to any certificate of our CA.
BACKENDS = ("store", "orchestrator", "scheduler", "qmd", "connectors")


def main() -> None:
    settings = load_settings(GatewaySettings)

    async def build() -> Service:
        cert = settings.pki.service("gateway")
        channels = {
            name: open_channel(
                getattr(settings, f"{name}_addr"),
                settings.pki,
                cert,
                retry_methods=STORE_RETRY_METHODS if name == "store" else (),
                default_timeout=settings.rpc_timeout_seconds,
                # the store's audit log names the admin we act for (the REST caller)
                relay_admin=name == "store",
                keepalive=settings.keepalive,
            )
            for name in BACKENDS
        }
        timeout = settings.heartbeat_probe_timeout_seconds
        store = channels["store"]
        deps = Deps(
            version=metadata.version("agent-runtime"),
            probes={n: GrpcHealthProbe(ch, timeout) for n, ch in channels.items()},
            clock=time.time,
            pairings=StorePairings(store),
            identities=StoreIdentities(store),
            approvals=StoreApprovals(store),
            tasks=OrchestratorTasks(channels["orchestrator"]),
            journal=StoreJournal(store),
            contexts=StoreContexts(store),
            turns=OrchestratorTurns(channels["orchestrator"]),
            qmd=QmdIndex(channels["qmd"]),
            scheduler=SchedulerObjectives(channels["scheduler"]),
            outbox=StoreOutbox(store),
            routing=StoreRouting(store),
            components=StoreComponents(store),
            turn_wait_ms=int(settings.turn_wait_seconds * 1000),
            approval_wait_ms=int(settings.approval_wait_seconds * 1000),
            workspace_root=settings.workspaces,
        )
        service = build_server(settings, deps)
        rest_servers: list[rest.RestServer] = []

        async def start_rest() -> None:
            # The gateway's own routes go to the port it really bound (0 in tests).
            rest_server = rest.serve(
                settings,
                addresses={"gateway": service.self_address},
                success_status=SUCCESS_STATUS,
            )
            rest_servers.append(rest_server)
            await rest_server.start()

        async def stop_rest() -> None:
            for rest_server in rest_servers:
                await rest_server.stop()

        async def close_channels() -> None:
            await asyncio.gather(*(ch.close() for ch in channels.values()))

        service.on_start.append(start_rest)
        service.on_stop.extend([stop_rest, close_channels])
        return service

    run("gateway", settings, build)


if __name__ == "__main__":
    main()
