"""Action approvals: read and decide them (admins).

An approved action runs exactly once, as the task keyed `approval:<id>` (DESIGN.md §3). Approving
is two steps that each may be repeated safely: the store's conditional decision, then the
orchestrator's EnqueueTask with that run_key (which creates the task once and marks the
approval queued with it). A retried approve, or one after the gateway stopped between the two
steps, finds the approval already approved and completes the second step; so approving an
approved approval answers the same outcome as the first approve (same task), while a denied or
expired one is FAILED_PRECONDITION and an unknown one NOT_FOUND."""

from __future__ import annotations

import asyncio
import builtins

from agent_runtime.store.v1 import approval_pb2
from gateway_svc.deps import ApprovalStore, TaskQueue
from svckit import callctx
from svckit.errors import DomainError, InvalidArgument, Unavailable

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
DENIED_BY_ADMIN = "denied by admin"
MAX_WAIT_MS = 120_000
POLL_SECONDS = 0.1
# execution states after which nothing more happens to an approved action
FINISHED = frozenset({"succeeded", "failed", "skipped", "unknown"})


class Approvals:
    """Action approvals over the store's ApprovalService (admins only)."""

    def __init__(self, store: ApprovalStore, tasks: TaskQueue | None) -> None:
        self._store = store
        self._tasks = tasks

    async def list(
        self,
        *,
        status: str,
        workspace_id: str,
        context_id: str,
        connector: str,
        external_id: str,
        limit: int,
        page_token: str,
    ) -> tuple[builtins.list[approval_pb2.ActionApproval], str]:
        """One page, oldest first, and the next page's token. `status` "" is pending, "all"
        every status."""
        callctx.require_admin()
        if limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        wanted = status.strip().lower() or "pending"
        filters = {
            "status": "" if wanted == "all" else wanted,
            "workspace_id": workspace_id.strip(),
            "context_id": context_id.strip(),
            "connector": connector.strip(),
            "external_id": external_id.strip(),
        }
        size = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
        return await self._store.list(filters, size, page_token.strip())

    async def get(self, approval_id: str) -> approval_pb2.ActionApproval:
        callctx.require_admin()
        return await self._store.get(_id(approval_id))

    async def approve(
        self, approval_id: str, wait_ms: int = 0
    ) -> tuple[approval_pb2.ActionApproval, str, bool]:
        """The approval after approving (with its outcome when the action finished within
        `wait_ms`), the id of the task that executes it, and whether it finished."""
        who = callctx.require_admin()
        approval_id = _id(approval_id)
        if wait_ms < 0:
            raise InvalidArgument("wait_ms must not be negative", field="wait_ms")
        if self._tasks is None:  # approving now would leave an approval nothing runs
            raise Unavailable("the orchestrator is not configured in this gateway")
        row, task_id = await approve_and_enqueue(self._store, self._tasks, approval_id, who)
        row = await await_outcome(self._store, row, wait_ms)
        return row, task_id, row.execution_status in FINISHED

    async def deny(self, approval_id: str, reason: str) -> approval_pb2.ActionApproval:
        who = callctx.require_admin()
        why = reason.strip() or DENIED_BY_ADMIN
        return await self._store.decide(_id(approval_id), False, who, why)


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


async def await_outcome(
    store: ApprovalStore, row: approval_pb2.ActionApproval, wait_ms: int
) -> approval_pb2.ActionApproval:
    """The approval once its action finished, or as it is after `wait_ms` (at most
    MAX_WAIT_MS); read again every POLL_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait_ms, MAX_WAIT_MS) / 1000
    while row.execution_status not in FINISHED:
        left = deadline - loop.time()
        if left <= 0:
            break
        await asyncio.sleep(min(left, POLL_SECONDS))
        row = await store.get(row.id)
    return row


def _id(value: str) -> str:
    approval_id = value.strip()
    if not approval_id:
        raise InvalidArgument("id is required", field="id")
    return approval_id
