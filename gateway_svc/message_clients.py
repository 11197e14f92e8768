"""Typed facades over the calls a chat message makes: the store's journal, contexts,
identities and delivery ledger, the orchestrator's turns and tasks, qmd and the scheduler.
Failures come back as the domain error the callee raised."""

from __future__ import annotations

import contextlib

import grpc

from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.qmd.v1 import resources_pb2 as qres
from agent_runtime.qmd.v1 import service_pb2 as qpb
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import identity_pb2, journal_pb2, workspace_pb2
from agent_runtime.store.v1 import identity_service_pb2 as irpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.identity_service_pb2_grpc import IdentityServiceStub
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from svckit.calls import call
from svckit.errors import AlreadyExists, NotFound


class StoreJournal:
    """The store's inbound journal."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = JournalServiceStub(channel)

    async def record(
        self, connector: str, chat_id: str, message_id: str, sender: str, text: str
    ) -> tuple[journal_pb2.InboundEntry, bool]:
        request = jrpc.RecordInboundRequest(
            connector=connector,
            chat_id=chat_id,
            platform_message_id=message_id,
            sender_id=sender,
            text=text,
        )
        reply = await call(self._stub.RecordInbound, request)
        return reply.entry, reply.duplicate

    async def complete(self, entry_id: str, status: str, outcome: str) -> None:
        request = jrpc.CompleteInboundRequest(id=entry_id, status=status, outcome=outcome)
        await call(self._stub.CompleteInbound, request)


class StoreContexts:
    """The store's contexts (one per connector chat) and identities."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._ws = WorkspaceServiceStub(channel)
        self._ids = IdentityServiceStub(channel)

    async def ensure(self, connector: str, external_id: str, name: str) -> workspace_pb2.Context:
        """The chat's context, created (with its workspace) on its first message. A read
        first: the known chat, the common case, costs no write."""
        try:
            found = await call(
                self._ws.FindContext,
                wrpc.FindContextRequest(connector=connector, external_id=external_id),
            )
            return found.context
        except NotFound:
            pass
        request = wrpc.EnsureContextRequest(
            connector=connector, external_id=external_id, display_name=name
        )
        reply = await call(self._ws.EnsureContext, request)
        return reply.context

    async def update(
        self, context_id: str, *, is_admin: bool | None = None, prompt: str | None = None
    ) -> workspace_pb2.Context:
        request = wrpc.UpdateContextRequest(id=context_id)
        if is_admin is not None:
            request.is_admin = is_admin
        if prompt is not None:
            request.system_prompt = prompt
        reply = await call(self._ws.UpdateContext, request)
        return reply.context

    async def identity(self, connector: str, user_id: str) -> identity_pb2.Identity | None:
        """The verified, active identity of a chat account, or None."""
        if not user_id.strip():
            return None
        request = irpc.LookupIdentityRequest(connector=connector, connector_user_id=user_id)
        try:
            reply = await call(self._ids.LookupIdentity, request)
        except NotFound:
            return None
        return reply.identity

    async def workspace_role(self, user_id: str, workspace_id: str) -> str:
        """The user's role in that workspace (set there, else the user's own; overlord
        everywhere)."""
        request = irpc.GetWorkspaceRoleRequest(user_id=user_id, workspace_id=workspace_id)
        reply = await call(self._ids.GetWorkspaceRole, request)
        return str(reply.role)

    async def set_workspace_role(self, user_id: str, workspace_id: str, role: str) -> str:
        request = irpc.SetWorkspaceRoleRequest(
            user_id=user_id, workspace_id=workspace_id, role=role
        )
        reply = await call(self._ids.SetWorkspaceRole, request)
        return str(reply.role)


class OrchestratorTurns:
    """The orchestrator's RunTurn, EnqueueTask and GetTask."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)

    async def run_turn(self, request: orpc.RunTurnRequest) -> orpc.RunTurnResponse:
        # A turn's wait is its own deadline; the channel's default would cut it short.
        timeout = request.wait_ms / 1000 + 30
        reply: orpc.RunTurnResponse = await call(self._stub.RunTurn, request, deadline_s=timeout)
        return reply

    async def enqueue(self, request: orpc.EnqueueTaskRequest) -> ores.Task:
        reply: orpc.EnqueueTaskResponse = await call(self._stub.EnqueueTask, request)
        return reply.task


class QmdIndex:
    """qmd's search, open and status for one workspace."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = QmdServiceStub(channel)

    async def search(self, workspace_id: str, query: str, limit: int) -> list[qres.SearchHit]:
        request = qpb.SearchRequest(workspace_id=workspace_id, query=query, limit=limit)
        reply = await call(self._stub.Search, request)
        return list(reply.hits)

    async def open(self, workspace_id: str, target: str) -> qres.Document:
        request = qpb.GetDocumentRequest(workspace_id=workspace_id, target=target)
        reply = await call(self._stub.GetDocument, request)
        return reply.document

    async def status(self, workspace_id: str) -> qres.IndexStatus:
        request = qpb.GetIndexStatusRequest(workspace_id=workspace_id)
        reply = await call(self._stub.GetIndexStatus, request)
        return reply.status


class SchedulerObjectives:
    """The scheduler's CreateObjective."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = SchedulerServiceStub(channel)

    async def create(self, request: spb.CreateObjectiveRequest) -> str:
        reply: spb.CreateObjectiveResponse = await call(self._stub.CreateObjective, request)
        return reply.objective.id


class StoreOutbox:
    """The store's delivery ledger: a pending delivery row per reply, sent by the connectors;
    one row per idempotency key (a repeat is already recorded)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DeliveryServiceStub(channel)

    async def deliver(self, key: str, connector: str, chat_id: str, text: str) -> None:
        request = drpc.CreateDeliveryRequest(
            idempotency_key=key, connector=connector, chat_id=chat_id, text=text
        )
        with contextlib.suppress(AlreadyExists):  # recorded by an earlier attempt
            await call(self._stub.CreateDelivery, request)
