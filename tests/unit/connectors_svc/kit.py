"""connectors_svc in-process against a real store (SQLite, port 0, mTLS), with the real
store facades of `connectors_svc.clients`, the codex webhook adapter pointed at a fake
receiver, a gateway that answers from its journal, and small adapters for supervision
tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from agent_runtime.connectors.v1 import service_pb2 as rpc
from agent_runtime.connectors.v1.service_pb2_grpc import ConnectorsServiceStub
from connectors_svc.adapters.base import (
    Adapter,
    AdapterState,
    Command,
    InboundMessage,
    InboundSink,
    Part,
)
from connectors_svc.adapters.webhook import WebhookAdapter, WebhookConfig
from connectors_svc.clients import StoreComponents, StoreLeases, StoreLedger
from connectors_svc.config import ConnectorsSettings
from connectors_svc.deps import Deps, Gateway, HandleOutcome
from connectors_svc.server import build_server
from svckit import testing
from svckit.pki import PkiPaths
from tests.webhooks import FakeWebhook

FAST = {
    "delivery_retry_base_seconds": 0.05,
    "delivery_retry_cap_seconds": 0.2,
    "delivery_poll_wait_seconds": 5.0,
    "adapter_restart_base_seconds": 0.05,
    "adapter_restart_cap_seconds": 0.2,
    "connector_lease_ttl_seconds": 1.0,
    "heartbeat_interval_seconds": 0.2,
}


def webhook(
    name: str, fake: FakeWebhook, part_limit: int = 0, beat_s: float = 10.0
) -> WebhookAdapter:
    adapter = WebhookAdapter(name, WebhookConfig(fake.url, timeout_s=5, beat_s=beat_s))
    adapter.part_limit = part_limit
    return adapter


@dataclass
class Running:
    pki: PkiPaths
    port: int

    @asynccontextmanager
    async def stub(self, who: str = "admin:ops") -> AsyncIterator[ConnectorsServiceStub]:
        async with testing.client_channel(self.pki, self.port, who) as channel:
            yield ConnectorsServiceStub(channel)

    async def publish(self, **fields: Any) -> rpc.PublishResponse:
        async with self.stub() as stub:
            reply: rpc.PublishResponse = await stub.Publish(
                rpc.PublishRequest(**fields), timeout=20
            )
            return reply

    async def status(self) -> dict[str, Any]:
        async with self.stub("svc:gateway") as stub:
            reply = await stub.GetConnectorStatus(rpc.GetConnectorStatusRequest(), timeout=10)
        return {c.name: c for c in reply.connectors}


@asynccontextmanager
async def connectors(
    pki: PkiPaths,
    store_port: int,
    adapters: Sequence[Adapter],
    *,
    disabled: dict[str, str] | None = None,
    gateway: Gateway | None = None,
    holder: str = "replica-a",
    clock: Callable[[], float] = time.time,
    **settings: Any,
) -> AsyncIterator[Running]:
    s = ConnectorsSettings(
        pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, **{**FAST, **settings}
    )
    async with testing.client_channel(pki, store_port, "svc:connectors") as store:
        deps = Deps(
            ledger=StoreLedger(store),
            gateway=gateway,
            leases=StoreLeases(store),
            components=StoreComponents(store, holder),
            adapters=adapters,
            disabled=disabled or {},
            holder=holder,
            clock=clock,
        )
        async with testing.serving(build_server(s, deps)) as ports:
            yield Running(pki, ports.grpc)


class JournaledGateway:
    """Answers each message once and a redelivery from its journal, as the gateway does."""

    def __init__(self) -> None:
        self.journal: dict[str, str] = {}

    async def handle(self, message: InboundMessage) -> HandleOutcome:
        key = f"{message.connector}:{message.external_id}:{message.message_id}"
        if key in self.journal:
            return HandleOutcome(self.journal[key], duplicate=True)
        self.journal[key] = "" if message.text == "quiet" else f"you said: {message.text}"
        return HandleOutcome(self.journal[key])

    async def commands(self) -> Sequence[Command]:
        return [Command("status", "Show status"), Command("pair", "Link this account")]


@dataclass
class Crashing:
    """An adapter whose session fails at once, every time."""

    name: str = "crashy"
    part_limit: int = 0
    receives: bool = False
    beat_within_s: float = 0.0
    runs: int = 0

    async def run(self, sink: InboundSink) -> None:
        self.runs += 1
        raise ConnectionError(f"platform unreachable (run {self.runs})")

    async def send_part(self, part: Part) -> str:
        raise ConnectionError("never sends")

    async def aclose(self) -> None:
        return None


@dataclass
class Polling:
    """A receiving adapter that only records which replica is polling it."""

    replica: str
    polling: set[str]
    name: str = "poller"
    part_limit: int = 0
    receives: bool = True
    beat_within_s: float = 0.0
    sent: list[Part] = field(default_factory=list)

    async def run(self, sink: InboundSink) -> None:
        self.polling.add(self.replica)
        try:
            sink.beat(AdapterState(connected=True, detail="poll cycle ok"))
            await asyncio.Event().wait()
        finally:
            self.polling.discard(self.replica)

    async def send_part(self, part: Part) -> str:
        self.sent.append(part)
        return str(len(self.sent))

    async def aclose(self) -> None:
        return None
