"""The gateway in front of a real store and a real orchestrator with a worker pool, each on
port 0 with mTLS from one throwaway PKI. Turns are run by `Turns`: it answers `echo: <text>`
at once, except the prompts a test holds until it releases them; it counts runs by prompt."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1 import service_pb2_grpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from gateway_svc.clients import (
    OrchestratorTasks,
    OrchestratorTurns,
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
from orchestrator_svc.agent import AgentReply, AgentRequest
from orchestrator_svc.agent_tasks import TurnExecutor
from orchestrator_svc.clients import StoreLeases, StoreTasks, open_store_channel
from orchestrator_svc.deps import Deps as OrchDeps
from orchestrator_svc.executors import Executor, Executors, Outcome
from orchestrator_svc.server import build_server as build_orchestrator
from orchestrator_svc.watch import Pulse
from orchestrator_svc.workers import WorkerPool
from store_svc.client import StoreApprovals
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.fakes import FrozenClock
from tests.stores import serving_store
from tests.unit.gateway_svc.conftest import PORTS0, START
from tests.unit.orchestrator_svc.conftest import orchestrator_settings


@dataclass
class Turns:
    runs: Counter[str] = field(default_factory=Counter)
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    def hold(self, prompt: str) -> asyncio.Event:
        return self.held.setdefault(prompt, asyncio.Event())

    async def run(self, task: store.Task) -> Outcome:
        self.runs[task.prompt] += 1
        self.started.add(task.prompt)
        if task.prompt in self.held:
            await self.held[task.prompt].wait()
        return Outcome(summary="echo", text=f"echo: {task.prompt}")


@dataclass
class _TurnsAgent:
    """The orchestrator's Agent answering as `Turns` does."""

    turns: Turns

    async def respond(self, request: AgentRequest) -> AgentReply:
        return AgentReply((await self.turns.run(request.task)).text)


@dataclass
class Chat:
    pki: PkiPaths
    gateway: int
    orchestrator: int
    store: int
    turns: Turns
    # stops the gateway (a restart or crash of it); the store and orchestrator keep running
    stop_gateway: Callable[[], Awaitable[None]]
    clock: FrozenClock = field(default_factory=lambda: FrozenClock(START))

    async def call(self, rpc: str, request: Any, *, caller: str = "svc:connectors") -> Any:
        md = (("x-acting-admin", "admin:alice"),) if caller == "svc:gateway" else ()
        async with testing.client_channel(self.pki, self.gateway, caller) as ch:
            try:
                return await getattr(service_pb2_grpc.GatewayServiceStub(ch), rpc)(
                    request, metadata=md, timeout=30
                )
            except grpc.aio.AioRpcError as exc:
                raise errors.from_rpc_error(exc) from None

    async def say(
        self, text: str, *, mid: str = "", user: str = "u-1", chat: str = "chat-1", **kw: Any
    ) -> pb.HandleMessageResponse:
        kw.setdefault("direct_message", True)
        request = pb.HandleMessageRequest(
            connector="telegram",
            external_id=chat,
            display_name="Chat",
            from_user_id=user,
            from_display_name=f"User {user}",
            text=text,
            message_id=mid or f"m-{text}-{user}-{chat}",
            **kw,
        )
        reply: pb.HandleMessageResponse = await self.call("HandleMessage", request)
        return reply

    async def deliveries(self) -> list[Any]:
        """The store's delivery ledger (the outbox the connectors send from)."""
        async with testing.client_channel(self.pki, self.store, "svc:gateway") as ch:
            reply = await DeliveryServiceStub(ch).ListDeliveries(
                drpc.ListDeliveriesRequest(limit=100), timeout=10
            )
        return list(reply.items)

    async def workspace_of(self, chat_id: str) -> str:
        """The workspace of a telegram chat (its context made if new)."""
        async with testing.client_channel(self.pki, self.store, "svc:gateway") as ch:
            reply = await WorkspaceServiceStub(ch).EnsureContext(
                wrpc.EnsureContextRequest(connector="telegram", external_id=chat_id), timeout=10
            )
        return str(reply.context.workspace_id)

    async def link(self, user: str, role: str) -> None:
        """`pair` in a DM, then an admin approves the token; `role` is then the user's own, in
        every workspace (an admin there: set by an overlord through SetIdentityRole)."""
        reply = await self.say("pair", user=user, mid=f"pair-{user}")
        token = reply.reply.split("`/approve ")[1].split("`")[0]
        approved = await self.call(
            "ApprovePairing", pb.ApprovePairingRequest(token=token), caller="svc:gateway"
        )
        if role != "member":
            await self.call(
                "SetIdentityRole",
                pb.SetIdentityRoleRequest(id=approved.identity_id, role=role),
                caller="svc:gateway",
            )


@asynccontextmanager
async def _orchestrator(
    pki: PkiPaths, store_port: int, executors: dict[str, Executor]
) -> AsyncIterator[int]:
    """The orchestrator with its workers and the store's approvals (actions)."""
    settings = orchestrator_settings(pki, store_port)
    channel = open_store_channel(settings)
    pulse = Pulse()
    pool = WorkerPool(
        StoreLeases(channel, 5), Executors(executors), size=3, lease_ms=30_000, wait_ms=2000,
        drain_seconds=0.2, on_change=pulse.fire, worker_id="test-replica",
    )  # fmt: skip
    deps = OrchDeps(
        tasks=StoreTasks(channel), approvals=StoreApprovals(channel), watch_poll_seconds=0.05,
        pulse=pulse, workers=pool,
    )  # fmt: skip
    service = build_orchestrator(settings, deps)
    service.on_start.append(pool.start)
    service.on_stop.append(pool.stop)
    try:
        async with testing.serving(service) as ports:
            yield ports.grpc
    finally:
        await channel.close()


@asynccontextmanager
async def chat_stack(
    pki: PkiPaths, tmp_path: Path, turn_wait_ms: int, **store_settings: Any
) -> AsyncIterator[Chat]:
    """`store_settings` override StoreSettings fields (e.g. approval_sweep_seconds)."""
    clock = FrozenClock(START)
    turns = Turns()
    async with serving_store(pki, tmp_path, clock, **store_settings) as sp:
        # turns run by the real TurnExecutor (it logs their replies) over the test's agent
        turn = TurnExecutor(_TurnsAgent(turns), tmp_path / "workspaces", lambda: clock.ms / 1000)
        executors: dict[str, Executor] = {"turn": turn, "general": turns, "action": turns}
        async with _orchestrator(pki, sp.grpc, executors) as orch_port:
            store_ch = testing.client_channel(pki, sp.grpc, "svc:gateway", relay_admin=True)
            orch_ch = testing.client_channel(pki, orch_port, "svc:gateway")
            deps = Deps(
                version="test",
                clock=lambda: clock.ms / 1000,
                pairings=StorePairings(store_ch),
                identities=StoreIdentities(store_ch),
                approvals=StoreApprovals(store_ch),
                tasks=OrchestratorTasks(orch_ch),
                journal=StoreJournal(store_ch),
                contexts=StoreContexts(store_ch),
                turns=OrchestratorTurns(orch_ch),
                outbox=StoreOutbox(store_ch),
                routing=StoreRouting(store_ch),
                turn_wait_ms=turn_wait_ms,
                workspace_root=tmp_path / "workspaces",
                approval_wait_ms=0,  # actions here record no outcome: nothing to wait for
            )
            server = build_server(GatewaySettings(pki_dir=pki.root, **PORTS0), deps)
            gateway = AsyncExitStack()
            try:
                gp = await gateway.enter_async_context(testing.serving(server))
                yield Chat(pki, gp.grpc, orch_port, sp.grpc, turns, gateway.aclose, clock)
            finally:
                await gateway.aclose()
                await store_ch.close()
                await orch_ch.close()
