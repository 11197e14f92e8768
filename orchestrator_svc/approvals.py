"""Tasks that execute approved actions (DESIGN.md §3, SPEC.md "Fix: approvals").

An approved action runs as the one task whose run_key is `approval:<id>`. The run_key prefix
is reserved: such a task must be of kind `action` and its approval must be approved (an
approved approval never changes its decision again, so checking before the create is safe);
and a task of kind `action` must carry such a key, so no action is queued without a human's
approval. (An admin's RetryTask of a failed action task is that admin's decision.)
Once the task exists, the approval is marked queued with it (the store's QueueExecution,
idempotent), so a retried enqueue, one that found the task already there, completes the
marking that an interrupted call left undone."""

from __future__ import annotations

from orchestrator_svc.deps import ApprovalStore
from orchestrator_svc.drafts import TaskDraft
from svckit import callctx
from svckit.errors import DomainError, FailedPrecondition, InvalidArgument, Unavailable

PREFIX = "approval:"


def approval_id_of(draft: TaskDraft) -> str | None:
    """The approval a draft executes (its run_key is `approval:<id>`), or None."""
    if not draft.run_key.startswith(PREFIX):
        if draft.kind == "action":
            raise InvalidArgument(
                "a task of kind action executes an approved action: run_key must be "
                "approval:<approval id>",
                field="run_key",
            )
        return None
    approval_id = draft.run_key.removeprefix(PREFIX).strip()
    if not approval_id:
        raise InvalidArgument("run_key approval:<id> needs an approval id", field="run_key")
    if draft.kind != "action":
        raise InvalidArgument(
            "run_key approval:<id> is reserved for tasks of kind action", field="kind"
        )
    return approval_id


class ActionApprovals:
    """Checks an approval before its task is created and queues it afterwards."""

    def __init__(self, store: ApprovalStore | None) -> None:
        self._store = store

    def _need(self) -> ApprovalStore:
        if self._store is None:
            raise Unavailable("the store's ApprovalService is not configured in this orchestrator")
        return self._store

    async def check(self, approval_id: str, draft: TaskDraft) -> None:
        """FAILED_PRECONDITION unless the approval is approved; the task belongs to its
        workspace."""
        approval = await self._need().get(approval_id)
        if approval.status != "approved":
            raise FailedPrecondition(
                f"action approval is {approval.status}, not approved", status=approval.status
            )
        if approval.workspace_id != draft.workspace_id:
            raise InvalidArgument(
                "workspace_id must be the approval's workspace", field="workspace_id"
            )

    async def queued(self, approval_id: str, task_id: str) -> None:
        """Mark the approval queued with `task_id`; already so (or executed by it) is fine."""
        store = self._need()
        actor = callctx.acting_admin() or str(callctx.current().caller)
        try:
            await store.queue(approval_id, task_id, actor)
        except DomainError as exc:
            if exc.code != "FAILED_PRECONDITION":
                raise
            # Executed meanwhile by this very task: nothing left to mark.
            if (await store.get(approval_id)).task_id != task_id:
                raise
