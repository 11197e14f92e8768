"""Agent audit events (REFERENCE.md §17.4, kept for every tool call, not only blocked ones):
which tool the agent called in which chat, and what came of it: `executed`, `blocked`
(its arguments or its policy refused it, with the reason) or `approval_required` (it asked
an admin; the message names the approval). Arguments and outputs are not recorded: they
may hold what the user would not want in an audit log. Recording is best effort: a store
that cannot take the event is logged, and the turn goes on."""

from __future__ import annotations

import logging
from typing import Protocol

from agent_runtime.store.v1 import audit_service_pb2 as audit_rpc
from orchestrator_svc.agent import AgentRequest
from svckit import errors

log = logging.getLogger("orchestrator.agent_audit")


class AuditSink(Protocol):
    """The store's agent audit events (`tool_clients.StoreAgentAudit`)."""

    async def record(self, req: audit_rpc.CreateAgentAuditEventRequest) -> None: ...


class AgentAudit:
    def __init__(self, sink: AuditSink) -> None:
        self._sink = sink

    async def tool_call(
        self, request: AgentRequest, tool: str, tool_class: str, error: str, approval_id: str
    ) -> None:
        stage = "approval_required" if approval_id else "blocked" if error else "executed"
        event = audit_rpc.CreateAgentAuditEventRequest(
            workspace_id=request.workspace_id,
            context_id=request.context_id,
            connector=request.connector or "system",
            external_id=request.external_id or request.context_id,
            source_user_id=request.from_user_id,
            event_type="tool_call",
            stage=stage,
            tool_name=tool[:100],
            tool_class=tool_class,
            blocked=stage != "executed",
            block_reason=error[:500],
            message=f"approval {approval_id}" if approval_id else f"task {request.task.id}",
        )
        try:
            await self._sink.record(event)
        except errors.DomainError as exc:
            log.warning("agent audit event not recorded: %s %s", exc.code, exc.message)
