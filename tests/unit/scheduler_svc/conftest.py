"""scheduler_svc on port 0 in front of a real store_svc (SQLite in a temporary folder), both
over mTLS with a throwaway PKI: the scheduler reaches the store with its own certificate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from agent_runtime.scheduler.v1 import service_pb2_grpc
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from scheduler_svc.clients import RETRY_METHODS, StoreObjectives
from scheduler_svc.config import SchedulerSettings
from scheduler_svc.deps import Deps
from scheduler_svc.server import build_server
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.stores import serving_store

# What the gateway sends when it relays a REST call of an authenticated admin.
AS_ADMIN = (("x-acting-admin", "admin:ops"),)


@dataclass
class Stack:
    """The scheduler and the store it sits on; channels opened here are closed at teardown."""

    pki: PkiPaths
    scheduler_port: int
    store_port: int
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    def scheduler(self, identity: str = "admin:admin") -> service_pb2_grpc.SchedulerServiceStub:
        channel = testing.client_channel(self.pki, self.scheduler_port, identity)
        self._channels.append(channel)
        return service_pb2_grpc.SchedulerServiceStub(channel)

    def store(self) -> ObjectiveServiceStub:
        """The store's ObjectiveService as the scheduler's certificate sees it (to record runs
        the way the firing loop will)."""
        channel = testing.client_channel(self.pki, self.store_port, "svc:scheduler")
        self._channels.append(channel)
        return ObjectiveServiceStub(channel)

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


@pytest.fixture
async def stack(tmp_path: Path, pki: PkiPaths) -> AsyncIterator[Stack]:
    async with serving_store(pki, tmp_path) as store_ports:
        settings = SchedulerSettings(
            pki_dir=pki.root,
            grpc_port=0,
            health_port=0,
            metrics_port=0,
            store_addr=f"127.0.0.1:{store_ports.grpc}",
        )
        channel = testing.client_channel(
            pki, store_ports.grpc, "svc:scheduler", retry_methods=RETRY_METHODS, relay_admin=True
        )
        service = build_server(settings, Deps(objectives=StoreObjectives(channel)))
        async with testing.serving(service) as ports:
            env = Stack(pki, ports.grpc, store_ports.grpc)
            try:
                yield env
            finally:
                await env.close()
        await channel.close()


@dataclass(frozen=True)
class Failure:
    code: grpc.StatusCode
    message: str
    details: dict[str, str]


async def failure(call: object) -> Failure:
    """The status of a call expected to fail (with the domain error's details)."""
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as exc:
        err = errors.from_rpc_error(exc)
        return Failure(exc.code(), exc.details() or "", err.details)
    raise AssertionError("the call succeeded")
