"""Action approvals: read and decide them (admins).

An approved action runs exactly once, as the task keyed `approval:<id>` (DESIGN.md §3). Approving
is two steps that each may be repeated safely: the store's conditional decision, then the
orchestrator's EnqueueTask with that run_key (which creates the task once and marks the
approval queued with it). A retried approve, or one after the gateway stopped between the two
steps, finds the approval already approved and completes the second step; so approving an
approved approval answers the same outcome as the first approve (same task), while a denied or
expired one is FAILED_PRECONDITION and an unknown one NOT_FOUND."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2
from agent_runtime.store.v1 import approval_pb2
from gateway_svc import convert
from gateway_svc.deps import ApprovalStore, TaskQueue
from svckit import callctx
from svckit.errors import DomainError, InvalidArgument, Unavailable

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
DENIED_BY_ADMIN = "denied by admin"


class Approvals:
    """Approval RPCs over the store's ApprovalService."""

    def __init__(self, store: ApprovalStore, tasks: TaskQueue | None) -> None:
        self._store = store
        self._tasks = tasks

    async def list(
        self, req: service_pb2.ListApprovalsRequest
    ) -> service_pb2.ListApprovalsResponse:
        callctx.require_admin()
        if req.limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        status = req.status.strip().lower() or "pending"
        filters = {
            "status": "" if status == "all" else status,
            "workspace_id": req.workspace_id.strip(),
            "context_id": req.context_id.strip(),
            "connector": req.connector.strip(),
            "external_id": req.external_id.strip(),
        }
        limit = min(req.limit or DEFAULT_LIMIT, MAX_LIMIT)
        rows, token = await self._store.list(filters, limit, req.page_token.strip())
        items = [convert.approval(r) for r in rows]
        return service_pb2.ListApprovalsResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def get(self, req: service_pb2.GetApprovalRequest) -> service_pb2.GetApprovalResponse:
        callctx.require_admin()
        row = await self._store.get(_id(req.id))
        return service_pb2.GetApprovalResponse(approval=convert.approval(row))

    async def approve(
        self, req: service_pb2.ApproveActionRequest
    ) -> service_pb2.ApproveActionResponse:
        who = callctx.require_admin()
        approval_id = _id(req.id)
        if self._tasks is None:  # approving now would leave an approval nothing runs
            raise Unavailable("the orchestrator is not configured in this gateway")
        row, task_id = await approve_and_enqueue(self._store, self._tasks, approval_id, who)
        return service_pb2.ApproveActionResponse(approval=convert.approval(row), task_id=task_id)

    async def deny(self, req: service_pb2.DenyActionRequest) -> service_pb2.DenyActionResponse:
        who = callctx.require_admin()
        reason = req.reason.strip() or DENIED_BY_ADMIN
        row = await self._store.decide(_id(req.id), False, who, reason)
        return service_pb2.DenyActionResponse(approval=convert.approval(row))


async def approve_and_enqueue(
    store: ApprovalStore, tasks: TaskQueue, approval_id: str, who: str
) -> tuple[approval_pb2.ActionApproval, str]:
    """Approve (or find approved) and enqueue the task that runs the action once; the
    approval as it is afterwards (queued with that task) and the task id."""
    try:
        row = await store.decide(approval_id, True, who, "")
    except DomainError as exc:
        if exc.code != "FAILED_PRECONDITION":
            raise
        # Approved already (a retry, or a restart between the steps): finish the
        # enqueue; denied or expired stays refused.
        row = await store.get(approval_id)
        if row.status != "approved":
            raise
    task_id = await tasks.enqueue_action(row, who)
    # The orchestrator marked it queued with the task; answer the approval as it is now.
    return await store.get(approval_id), task_id


def _id(value: str) -> str:
    approval_id = value.strip()
    if not approval_id:
        raise InvalidArgument("id is required", field="id")
    return approval_id
