"""`python -m connectors_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

from connectors_svc.attachments import Attachments
from connectors_svc.catalog import build_catalog
from connectors_svc.clients import (
    GATEWAY_RETRY_METHODS,
    STORE_RETRY_METHODS,
    GatewayClient,
    StoreComponents,
    StoreCursors,
    StoreLeases,
    StoreLedger,
    StoreMail,
)
from connectors_svc.config import ConnectorsSettings
from connectors_svc.deps import Deps
from connectors_svc.server import build_server
from svckit.channels import open_channel
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(ConnectorsSettings)

    async def build() -> Service:
        cert = settings.pki.service("connectors")
        timeout = settings.rpc_timeout_seconds
        store = open_channel(
            settings.store_addr, settings.pki, cert,
            retry_methods=STORE_RETRY_METHODS, default_timeout=timeout,
            keepalive=settings.keepalive,
        )  # fmt: skip
        gateway = open_channel(
            settings.gateway_addr, settings.pki, cert,
            retry_methods=GATEWAY_RETRY_METHODS, default_timeout=timeout,
            keepalive=settings.keepalive,
        )  # fmt: skip
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        mail = StoreMail(store)  # also the chats' contexts, for their markdown files
        catalog = build_catalog(settings, mail, StoreCursors(store))
        deps = Deps(
            ledger=StoreLedger(store),
            gateway=GatewayClient(gateway, settings.gateway_handle_timeout_seconds),
            leases=StoreLeases(store),
            components=StoreComponents(store, holder),
            adapters=catalog.adapters,
            attachments=Attachments(mail, settings.workspaces),
            disabled=catalog.disabled,
            holder=holder,
        )
        service = build_server(settings, deps)

        async def close_channels() -> None:
            await asyncio.gather(store.close(), gateway.close())

        service.on_stop.insert(0, close_channels)  # stop hooks run last-first: this one last
        return service

    run("connectors", settings, build)


if __name__ == "__main__":
    main()
