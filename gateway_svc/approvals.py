"""Action approvals: read them (admins). Deciding one (ApproveAction / DenyAction) waits for
the orchestrator's EnqueueTask: an approved action must run exactly once as the task keyed
`approval:<id>`, so approving without enqueueing it would leave an approval nothing runs."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2
from gateway_svc import convert
from gateway_svc.deps import ApprovalStore
from svckit import callctx
from svckit.errors import InvalidArgument

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


class Approvals:
    """Approval RPCs over the store's ApprovalService."""

    def __init__(self, store: ApprovalStore) -> None:
        self._store = store

    async def list(
        self, req: service_pb2.ListApprovalsRequest
    ) -> service_pb2.ListApprovalsResponse:
        callctx.require_admin()
        if req.limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        if req.page_token:
            # Nothing hands out page tokens yet: the store lists one page, oldest first.
            raise InvalidArgument("invalid page_token", field="page_token")
        limit = min(req.limit or DEFAULT_LIMIT, MAX_LIMIT)
        status = req.status.strip().lower() or "pending"
        context = req.context_id.strip()
        rows = await self._store.list(
            "" if status == "all" else status,
            req.workspace_id.strip(),
            req.connector.strip(),
            req.external_id.strip(),
            # The store has no context filter: read the most it lists, then filter here.
            MAX_LIMIT if context else limit,
        )
        items = [convert.approval(r) for r in rows if not context or r.context_id == context]
        items = items[:limit]
        return service_pb2.ListApprovalsResponse(items=items, count=len(items))

    async def get(self, req: service_pb2.GetApprovalRequest) -> service_pb2.GetApprovalResponse:
        callctx.require_admin()
        approval_id = req.id.strip()
        if not approval_id:
            raise InvalidArgument("id is required", field="id")
        row = await self._store.get(approval_id)
        return service_pb2.GetApprovalResponse(approval=convert.approval(row))
