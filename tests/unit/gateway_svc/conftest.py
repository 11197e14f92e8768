"""The gateway on port 0 in front of a real store_svc on port 0 (SQLite in a temporary
folder), both with mTLS from one throwaway PKI. The store's clock is the test's, so expiry
is reached by moving it, not by waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.gateway.v1 import service_pb2_grpc
from gateway_svc.clients import StoreIdentities, StorePairings
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.server import build_server
from store_svc.client import StoreApprovals
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.fakes import FrozenClock
from tests.stores import serving_store

PORTS0 = {"grpc_port": 0, "health_port": 0, "metrics_port": 0}
START = 1_900_000_000


@dataclass
class Gateway:
    """A served gateway and the store behind it."""

    pki: PkiPaths
    port: int
    store_port: int
    clock: FrozenClock
    db_path: Path

    async def call(
        self,
        rpc: str,
        request: Any,
        *,
        caller: str = "svc:gateway",
        acting_admin: str | None = "admin:alice",
    ) -> Any:
        """One GatewayService call as `caller`; a relayed REST call asserts `acting_admin`.
        A failure raises the domain error a client rebuilds from the status."""
        md: Sequence[tuple[str, str]] = (("x-acting-admin", acting_admin),) if acting_admin else ()
        async with testing.client_channel(self.pki, self.port, caller) as ch:
            method = getattr(service_pb2_grpc.GatewayServiceStub(ch), rpc)
            try:
                return await method(request, metadata=md, timeout=10)
            except grpc.aio.AioRpcError as exc:
                raise errors.from_rpc_error(exc) from None

    async def store_call(self, stub_cls: type, rpc: str, request: Any, caller: str) -> Any:
        """One call to the store itself (to set up what the gateway only reads)."""
        async with testing.client_channel(self.pki, self.store_port, caller) as ch:
            return await getattr(stub_cls(ch), rpc)(request, timeout=10)


@pytest.fixture
async def gw(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Gateway]:
    clock = FrozenClock(START)
    async with serving_store(pki, tmp_path, clock) as store_ports:
        store = testing.client_channel(pki, store_ports.grpc, "svc:gateway", relay_admin=True)
        deps = Deps(
            version="test",
            clock=lambda: clock.ms / 1000,
            pairings=StorePairings(store),
            identities=StoreIdentities(store),
            approvals=StoreApprovals(store),
        )
        server = build_server(GatewaySettings(pki_dir=pki.root, **PORTS0), deps)
        try:
            async with testing.serving(server) as ports:
                yield Gateway(pki, ports.grpc, store_ports.grpc, clock, tmp_path / "meta.sqlite")
        finally:
            await store.close()
