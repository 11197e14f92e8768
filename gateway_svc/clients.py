"""Typed async facades over other services' stubs.

The store facades turn a failed call back into the domain error the store raised
(`svckit.errors.from_rpc_error`), so its code and details reach our own callers unchanged:
the store's NOT_FOUND stays a 404 on /api/v1, its INVALID_ARGUMENT keeps its `field`.
The store's ApprovalService facade is shared with the orchestrator
(`store_svc.client.StoreApprovals`). What a chat message uses: the store's journal,
contexts, identities and delivery ledger, the orchestrator's turns, qmd and the scheduler."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2

from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.qmd.v1 import resources_pb2 as qres
from agent_runtime.qmd.v1 import service_pb2 as qpb
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from agent_runtime.store.v1 import (
    approval_pb2,
    identity_pb2,
    journal_pb2,
    pairing_pb2,
    workspace_pb2,
)
from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import identity_service_pb2 as irpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import pairing_service_pb2 as prpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.identity_service_pb2_grpc import IdentityServiceStub
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.pairing_service_pb2_grpc import PairingServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from gateway_svc.deps import IdentityQuery, InboundMessage
from gateway_svc.heartbeat import Stored
from svckit.calls import call
from svckit.coalesce import Coalescer
from svckit.errors import DomainError
from svckit.errors import build as build_error
from svckit.healthcheck import health_stub
from svckit.interceptors import ACTING_ADMIN

_STORE = "/agent_runtime.store.v1."
MAX_JOURNAL_BATCH = 100  # the store's BeginInbounds / CompleteInbounds cap
# Journal calls out at once, each kind: more messages wait for one to come back and share the
# next (a message alone goes at once).
JOURNAL_IN_FLIGHT = 1

# Store reads the gateway may retry when the store is briefly UNAVAILABLE (open_channel).
STORE_RETRY_METHODS = (
    f"{_STORE}PairingService/LookupPairing",
    f"{_STORE}IdentityService/ListIdentities",
    f"{_STORE}ApprovalService/GetApproval",
    f"{_STORE}ApprovalService/ListApprovals",
)


class GrpcHealthProbe:
    """Checks a backend's overall gRPC Health (service "") over an mTLS channel."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = health_stub(channel)
        self._timeout = timeout

    async def check(self) -> str:
        request = health_pb2.HealthCheckRequest()
        reply = await call(self._stub.Check, request, deadline_s=self._timeout)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


class StorePairings:
    """The store's PairingService."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = PairingServiceStub(channel)

    async def create(
        self, connector: str, connector_user_id: str, display_name: str, expires_in_sec: int
    ) -> tuple[pairing_pb2.PairingRequest, str]:
        """The new pending request and its plaintext token (the only time it is known)."""
        request = prpc.CreatePairingRequest(
            connector=connector,
            connector_user_id=connector_user_id,
            display_name=display_name,
            expires_in_sec=expires_in_sec,
        )
        reply: prpc.CreatePairingResponse = await call(self._stub.CreatePairing, request)
        return reply.pairing, reply.token

    async def lookup(self, token: str) -> pairing_pb2.PairingRequest:
        request = prpc.LookupPairingRequest(token=token)
        reply: prpc.LookupPairingResponse = await call(self._stub.LookupPairing, request)
        return reply.pairing

    async def list(
        self, status: str, page_size: int, page_token: str
    ) -> tuple[list[pairing_pb2.PairingRequest], str]:
        """One page of requests and the token of the next page ("" on the last)."""
        request = prpc.ListPairingsRequest(
            status=status, page_size=page_size, page_token=page_token
        )
        reply: prpc.ListPairingsResponse = await call(self._stub.ListPairings, request)
        return list(reply.items), reply.next_page_token

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str, workspace_id: str = ""
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]:
        request = prpc.ApprovePairingRequest(
            token=token,
            approver_user_id=approver,
            role=role,
            target_user_id=target_user_id,
            workspace_id=workspace_id,
        )
        reply: prpc.ApprovePairingResponse = await call(self._stub.ApprovePairing, request)
        return reply.pairing, reply.identity

    async def deny(self, token: str, approver: str, reason: str) -> pairing_pb2.PairingRequest:
        request = prpc.DenyPairingRequest(token=token, approver_user_id=approver, reason=reason)
        reply: prpc.DenyPairingResponse = await call(self._stub.DenyPairing, request)
        return reply.pairing


class StoreIdentities:
    """The store's IdentityService."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = IdentityServiceStub(channel)

    async def list(
        self, query: IdentityQuery, page_size: int, page_token: str
    ) -> tuple[list[identity_pb2.Identity], str]:
        """One page, oldest first, and the token of the next page ("" on the last)."""
        request = irpc.ListIdentitiesRequest(
            connector=query.connector,
            user_id=query.user_id,
            role=query.role,
            include_revoked=query.include_revoked,
            page_size=page_size,
            page_token=page_token,
        )
        reply: irpc.ListIdentitiesResponse = await call(self._stub.ListIdentities, request)
        return list(reply.items), reply.next_page_token

    async def set_role(self, identity_id: str, role: str, actor: str) -> identity_pb2.Identity:
        request = irpc.SetUserRoleRequest(identity_id=identity_id, role=role, actor=actor)
        reply: irpc.SetUserRoleResponse = await call(self._stub.SetUserRole, request)
        return reply.identity

    async def revoke(self, identity_id: str, actor: str, reason: str) -> identity_pb2.Identity:
        """The identity, revoked (status, time and reason as the store recorded them)."""
        request = irpc.RevokeIdentityRequest(identity_id=identity_id, actor=actor, reason=reason)
        reply: irpc.RevokeIdentityResponse = await call(self._stub.RevokeIdentity, request)
        return reply.identity


class OrchestratorTasks:
    """The orchestrator's EnqueueTask, for the tasks that execute approved actions."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)

    async def enqueue_action(self, approval: approval_pb2.ActionApproval, acting_admin: str) -> str:
        request = orpc.EnqueueTaskRequest(
            workspace_id=approval.workspace_id,
            context_id=approval.context_id,
            kind="action",
            run_key=f"approval:{approval.id}",
            title=action_title(approval),
            prompt=action_prompt(approval),
            source_connector=approval.connector,
            source_external_id=approval.external_id,
            source_user_id=approval.requester_user_id,
            source_text=approval.action_summary,
        )
        # The orchestrator records the admin behind it as the actor of the queueing.
        metadata = ((ACTING_ADMIN, acting_admin),)
        reply: orpc.EnqueueTaskResponse = await call(
            self._stub.EnqueueTask, request, metadata=metadata
        )
        return reply.task.id


def action_title(approval: approval_pb2.ActionApproval) -> str:
    what = approval.action_summary or approval.action_target
    title = f"Approved action {approval.action_type}" + (f": {what}" if what else "")
    return title if len(title) <= 200 else title[:199] + "…"


def action_prompt(approval: approval_pb2.ActionApproval) -> str:
    """What the action is; its arguments stay with the approval (they may be sensitive), the
    executor reads them by the approval id."""
    lines = [
        f"Execute the approved action {approval.id} once.",
        f"Action type: {approval.action_type}",
        f"Target: {approval.action_target or '-'}",
        f"Summary: {approval.action_summary or '-'}",
        f"Requested by {approval.requester_user_id} in {approval.connector}:"
        f"{approval.external_id}; approved by {approval.approver_user_id}.",
        "Arguments: see the approval (payload_json).",
    ]
    return "\n".join(lines)


class StoreJournal:
    """The store's inbound journal. The messages begun (and the outcomes stored) together go
    to the store in one BeginInbounds (CompleteInbounds) call: under load one round trip
    serves many messages, and each still gets its own answer or its own error."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = JournalServiceStub(channel)
        self._begins: Coalescer[jrpc.BeginInboundRequest, jrpc.BeginInboundResponse] = Coalescer(
            self._begin_batch, MAX_JOURNAL_BATCH, JOURNAL_IN_FLIGHT
        )
        self._completes: Coalescer[jrpc.CompleteInboundRequest, journal_pb2.InboundEntry] = (
            Coalescer(self._complete_batch, MAX_JOURNAL_BATCH, JOURNAL_IN_FLIGHT)
        )

    async def begin(
        self, msg: InboundMessage, message_id: str, resolve_sender: bool
    ) -> jrpc.BeginInboundResponse:
        request = jrpc.BeginInboundRequest(
            connector=msg.connector,
            chat_id=msg.external_id,
            platform_message_id=message_id,
            sender_id=msg.from_user_id,
            text=msg.text,
            display_name=msg.display_name,
            resolve_sender=resolve_sender,
        )
        return await self._begins.submit(request)

    async def complete(self, entry_id: str, status: str, outcome: str) -> None:
        request = jrpc.CompleteInboundRequest(id=entry_id, status=status, outcome=outcome)
        await self._completes.submit(request)

    async def _begin_batch(
        self, items: list[jrpc.BeginInboundRequest]
    ) -> list[jrpc.BeginInboundResponse | DomainError]:
        request = jrpc.BeginInboundsRequest(messages=items)
        reply: jrpc.BeginInboundsResponse = await call(self._stub.BeginInbounds, request)
        return [r.begun if not r.code else _refusal(r) for r in reply.results]

    async def _complete_batch(
        self, items: list[jrpc.CompleteInboundRequest]
    ) -> list[journal_pb2.InboundEntry | DomainError]:
        request = jrpc.CompleteInboundsRequest(entries=items)
        reply: jrpc.CompleteInboundsResponse = await call(self._stub.CompleteInbounds, request)
        return [r.entry if not r.code else _refusal(r) for r in reply.results]


def _refusal(result: jrpc.BeginInboundsResult | jrpc.CompleteInboundsResult) -> DomainError:
    details = {"field": result.field} if result.field else {}
    return build_error(result.code, result.message, details)


class StoreContexts:
    """The store's contexts (one per connector chat) and roles per workspace."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._ws = WorkspaceServiceStub(channel)
        self._ids = IdentityServiceStub(channel)

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

    async def get_task(self, task_id: str) -> ores.Task:
        reply: orpc.GetTaskResponse = await call(
            self._stub.GetTask, orpc.GetTaskRequest(id=task_id)
        )
        return reply.task


class StoreRouting:
    """The store's UpdateTaskRouting (a /route override)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = TaskServiceStub(channel)

    async def update(
        self, task_id: str, route_class: str, priority: str, due: int, lane: str
    ) -> None:
        request = trpc.UpdateTaskRoutingRequest(
            id=task_id, route_class=route_class, priority=priority, due_at_unix=due,
            assigned_lane=lane,
        )  # fmt: skip
        await call(self._stub.UpdateTaskRouting, request)


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
    """The store's delivery ledger: a pending delivery row per reply, sent by the connectors.
    A late turn reply is written by the store, once, under `turn:<task id>`."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DeliveryServiceStub(channel)

    async def deliver_turn_reply(self, task_id: str, connector: str, chat_id: str) -> None:
        request = drpc.DeliverTurnReplyRequest(
            task_id=task_id, connector=connector, chat_id=chat_id
        )
        await call(self._stub.DeliverTurnReply, request)


class StoreComponents:
    """The heartbeat components processes report to the store (connectors, …)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ComponentServiceStub(channel)

    async def list_components(self) -> tuple[list[Stored], int]:
        reply: crpc.ListComponentsResponse = await call(
            self._stub.ListComponents, crpc.ListComponentsRequest()
        )
        items = [
            Stored(c.name, c.state, c.message, c.error, c.last_beat_at_ms, c.updated_at_ms,
                   c.stale_after_ms)
            for c in reply.items
        ]  # fmt: skip
        return items, reply.now_ms
