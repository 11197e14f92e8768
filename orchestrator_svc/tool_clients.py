"""The store and qmd calls the agent's tools make beyond `clients.py`: documents (qmd
GetDocument), approvals the agent asks for (CreateApproval, idempotent by key), task
routing (UpdateTaskRouting), sensitive-tool grants, objectives (the store's
ObjectiveService; the scheduler's leader picks them up) and the agent audit events of its
tool calls."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from agent_runtime.qmd.v1 import service_pb2 as qmd_rpc
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import audit_service_pb2 as audit_rpc
from agent_runtime.store.v1 import grant_service_pb2 as grant_rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from agent_runtime.store.v1.grant_service_pb2_grpc import GrantServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from orchestrator_svc.prompt import ContextPolicy
from svckit import errors
from svckit.calls import call


@dataclass(frozen=True, slots=True)
class Document:
    path: str
    content: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class ApprovalAsk:
    """An approval the agent asks for; `key` makes asking again create nothing."""

    workspace_id: str
    context_id: str
    connector: str
    external_id: str
    requester_user_id: str
    action_type: str
    action_target: str
    action_summary: str
    payload_json: str
    key: str
    # approved at once when the context holds a sensitive-tool grant
    use_grant: bool = True


@dataclass(frozen=True, slots=True)
class Asked:
    """The approval an ask found or created: its id and status (`approved` by a grant)."""

    id: str
    status: str
    task_id: str = ""


class QmdDocuments:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = QmdServiceStub(channel)

    async def open(self, workspace_id: str, target: str, max_bytes: int) -> Document:
        req = qmd_rpc.GetDocumentRequest(
            workspace_id=workspace_id, target=target, max_bytes=max_bytes
        )
        reply: qmd_rpc.GetDocumentResponse = await call(self._stub.GetDocument, req)
        doc = reply.document
        return Document(doc.path or doc.uri, doc.content, doc.truncated)


class StoreApprovalRequests:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ApprovalServiceStub(channel)

    async def ask(self, ask: ApprovalAsk) -> Asked:
        """The approval this ask created, or the one its key created before."""
        req = arpc.CreateApprovalRequest(
            workspace_id=ask.workspace_id,
            context_id=ask.context_id,
            connector=ask.connector,
            external_id=ask.external_id,
            requester_user_id=ask.requester_user_id,
            action_type=ask.action_type,
            action_target=ask.action_target,
            action_summary=ask.action_summary,
            payload_json=ask.payload_json,
            idempotency_key=ask.key,
            use_grant=ask.use_grant,
        )
        reply: arpc.CreateApprovalResponse = await call(self._stub.CreateApproval, req)
        a = reply.approval
        return Asked(a.id, a.status, a.task_id)

    async def queue(self, approval_id: str, task_id: str) -> None:
        """Mark the approval queued with the task that executes it (repeatable)."""
        req = arpc.QueueExecutionRequest(id=approval_id, task_id=task_id)
        await call(self._stub.QueueExecution, req)


class StoreRouting:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = TaskServiceStub(channel)

    async def route(
        self, task_id: str, route_class: str, priority: str, due_at_unix: int, lane: str
    ) -> store.Task:
        req = rpc.UpdateTaskRoutingRequest(
            id=task_id,
            route_class=route_class,
            priority=priority,
            due_at_unix=due_at_unix,
            assigned_lane=lane,
        )
        reply: rpc.UpdateTaskRoutingResponse = await call(self._stub.UpdateTaskRouting, req)
        return reply.task


class StoreContexts:
    """A context's policy for the system prompt: admin or not, its `/prompt set` text."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = WorkspaceServiceStub(channel)

    async def policy(self, context_id: str) -> ContextPolicy:
        req = wrpc.GetContextRequest(id=context_id)
        reply: wrpc.GetContextResponse = await call(self._stub.GetContext, req)
        return ContextPolicy(reply.context.is_admin, reply.context.system_prompt)


class StoreGrants:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = GrantServiceStub(channel)

    async def granted(self, workspace_id: str, context_id: str) -> bool:
        req = grant_rpc.GetSensitiveGrantRequest(workspace_id=workspace_id, context_id=context_id)
        try:
            await call(self._stub.GetSensitiveGrant, req)
        except errors.NotFound:
            return False
        return True


class StoreObjectives:
    """The store's ObjectiveService as the objective tools use it: the store validates cron,
    timezone and event keys and plans the next run; the scheduler's leader fires what it
    stored on its next tick (the orchestrator never calls the scheduler, DESIGN.md §2)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ObjectiveServiceStub(channel)

    async def create(self, req: orpc.CreateObjectiveRequest) -> stored.Objective:
        reply: orpc.CreateObjectiveResponse = await call(self._stub.CreateObjective, req)
        return reply.objective

    async def get(self, objective_id: str) -> stored.Objective:
        req = orpc.GetObjectiveRequest(id=objective_id)
        reply: orpc.GetObjectiveResponse = await call(self._stub.GetObjective, req)
        return reply.objective

    async def update(self, req: orpc.UpdateObjectiveRequest) -> stored.Objective:
        reply: orpc.UpdateObjectiveResponse = await call(self._stub.UpdateObjective, req)
        return reply.objective


class StoreAgentAudit:
    """Agent audit events (REFERENCE.md §17.4) in the store."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = AuditServiceStub(channel)

    async def record(self, req: audit_rpc.CreateAgentAuditEventRequest) -> None:
        await call(self._stub.CreateAgentAuditEvent, req)
