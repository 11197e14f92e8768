"""Typed async facade over the store's TaskService: store errors come back as the domain
errors they stand for (`svckit.errors`), drafts go in as CreateTaskRequests. The store's
ApprovalService facade is shared with the gateway (`store_svc.client.StoreApprovals`)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from agent_runtime.qmd.v1 import service_pb2 as qmd_rpc
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from orchestrator_svc.acks import CompleteBatcher
from orchestrator_svc.agent import Hit
from orchestrator_svc.batching import CreateBatcher
from orchestrator_svc.drafts import Created, TaskDraft
from orchestrator_svc.executors import Outcome
from orchestrator_svc.listing import TaskQuery
from orchestrator_svc.reindex import ReindexCounts
from orchestrator_svc.workers import Claim
from svckit import errors
from svckit.calls import call
from svckit.channels import open_channel
from svckit.config import ServiceSettings

_SVC = "/agent_runtime.store.v1.TaskService/"
# Reads are safe to repeat when the store was unreachable; writes are not.
READS = (
    *(_SVC + m for m in ("GetTask", "ListTasks", "QueueStats", "ListDeadLetters")),
    # QueueExecution with the same task is a no-op, so it is as safe to repeat as a read.
    "/agent_runtime.store.v1.ApprovalService/GetApproval",
    "/agent_runtime.store.v1.ApprovalService/QueueExecution",
    # the objective tools: a read, and a create that always carries an idempotency key
    "/agent_runtime.store.v1.ObjectiveService/GetObjective",
    "/agent_runtime.store.v1.ObjectiveService/CreateObjective",
)


def open_store_channel(settings: ServiceSettings) -> grpc.aio.Channel:
    """An mTLS channel to the store presenting the orchestrator's certificate; it carries the
    admin behind a call we serve along, so the store's audit log names that admin (via us)."""
    return open_channel(
        settings.store_addr,
        settings.pki,
        settings.pki.service("orchestrator"),
        retry_methods=READS,
        default_timeout=settings.rpc_timeout_seconds,
        relay_admin=True,
        keepalive=settings.keepalive,
    )


class StoreTasks:
    """The store's task queue as the orchestrator uses it."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = TaskServiceStub(channel)
        self._creates = CreateBatcher(self._create_batch)

    async def create(self, draft: TaskDraft) -> Created:
        """Persist a queued task; an existing run_key returns that task instead."""
        req = rpc.CreateTaskRequest(
            workspace_id=draft.workspace_id,
            context_id=draft.context_id,
            kind=draft.kind,
            title=draft.title,
            prompt=draft.prompt,
            route_class=draft.route_class,
            priority=draft.priority,
            due_at_unix=draft.due_at_unix,
            assigned_lane=draft.assigned_lane,
            source_connector=draft.source_connector,
            source_external_id=draft.source_external_id,
            source_user_id=draft.source_user_id,
            source_text=draft.source_text,
            run_key=draft.run_key,
            lane=draft.lane,
            max_attempts=draft.max_attempts,
            not_before_ms=draft.not_before_unix * 1000,
            retry_of_task=draft.retry_of_task,
            objective_id=draft.objective_id,
            objective_run_id=draft.objective_run_id,
        )
        try:
            task = await self._creates.create(req)
        except errors.AlreadyExists as exc:
            if not (draft.run_key and exc.existing_id):
                raise
            return Created(await self.get(exc.existing_id), created=False)
        return Created(task, created=True)

    async def _create_batch(self, request: rpc.CreateTasksRequest) -> rpc.CreateTasksResponse:
        reply: rpc.CreateTasksResponse = await call(self._stub.CreateTasks, request)
        return reply

    async def get(self, task_id: str) -> store.Task:
        reply: rpc.GetTaskResponse = await call(self._stub.GetTask, rpc.GetTaskRequest(id=task_id))
        return reply.task

    async def list(self, query: TaskQuery) -> rpc.ListTasksResponse:
        """One page, most recently updated first."""
        req = rpc.ListTasksRequest(
            workspace_id=query.workspace_id,
            context_id=query.context_id,
            kind=query.kind,
            status=query.status,
            limit=query.limit,
            page_token=query.page_token,
        )
        reply: rpc.ListTasksResponse = await call(self._stub.ListTasks, req)
        return reply

    async def cancel(self, task_id: str, actor: str, reason: str) -> store.Task:
        req = rpc.CancelTaskRequest(id=task_id, actor=actor, reason=reason)
        reply: rpc.CancelTaskResponse = await call(self._stub.CancelTask, req)
        return reply.task

    async def stats(self, workspace_id: str, near_expiry_ms: int = 0) -> rpc.QueueStatsResponse:
        req = rpc.QueueStatsRequest(workspace_id=workspace_id, near_expiry_ms=near_expiry_ms)
        return await call(self._stub.QueueStats, req)

    async def dead_letters(
        self, workspace_id: str, include_replayed: bool, limit: int, page_token: str, kind: str = ""
    ) -> rpc.ListDeadLettersResponse:
        req = rpc.ListDeadLettersRequest(
            workspace_id=workspace_id,
            include_replayed=include_replayed,
            page_size=limit,
            page_token=page_token,
            subject_kind=kind,
        )
        return await call(self._stub.ListDeadLetters, req)

    async def replay(self, dead_letter_id: str, actor: str) -> tuple[store.Task, store.DeadLetter]:
        """Queue the dead task again: (the task, the dead letter now replayed)."""
        req = rpc.ReplayDeadLetterRequest(id=dead_letter_id, actor=actor)
        reply: rpc.ReplayDeadLetterResponse = await call(self._stub.ReplayDeadLetter, req)
        return reply.task, reply.dead_letter


class StoreLeases:
    """The store's queue as the orchestrator's workers use it (claim, heartbeat, complete,
    fail, release); completions of one event-loop iteration travel as one CompleteTasks."""

    def __init__(self, channel: grpc.aio.Channel, rpc_timeout_seconds: float = 10.0) -> None:
        self._stub = TaskServiceStub(channel)
        self._timeout = rpc_timeout_seconds
        self._acks = CompleteBatcher(self._complete_many)

    async def claim(self, claim: Claim) -> list[store.Task]:
        req = rpc.ClaimTasksRequest(
            worker_id=claim.worker_id, max_tasks=claim.max_tasks, lease_ms=claim.lease_ms,
            kinds=claim.kinds, wait_ms=claim.wait_ms, lanes=claim.lanes,
        )  # fmt: skip
        # the store answers a long poll before this deadline (it keeps a margin)
        timeout = claim.wait_ms / 1000 + self._timeout
        reply: rpc.ClaimTasksResponse = await call(self._stub.ClaimTasks, req, deadline_s=timeout)
        return list(reply.tasks)

    async def heartbeat(self, task_id: str, token: int, lease_ms: int) -> bool:
        req = rpc.HeartbeatTaskRequest(id=task_id, lease_token=token, lease_ms=lease_ms)
        reply: rpc.HeartbeatTaskResponse = await call(self._stub.HeartbeatTask, req)
        return reply.cancel_requested

    async def complete(self, task_id: str, token: int, outcome: Outcome) -> None:
        await self._acks.complete(
            rpc.TaskCompletion(
                id=task_id,
                lease_token=token,
                result_summary=outcome.summary,
                result_path=outcome.path,
                result_text=outcome.text,
            )
        )

    async def _complete_many(self, req: rpc.CompleteTasksRequest) -> rpc.CompleteTasksResponse:
        reply: rpc.CompleteTasksResponse = await call(self._stub.CompleteTasks, req)
        return reply

    async def fail(self, task_id: str, token: int, error: str, retryable: bool) -> None:
        req = rpc.FailTaskRequest(
            id=task_id, lease_token=token, error_message=error, retryable=retryable
        )
        await call(self._stub.FailTask, req)

    async def release(self, leases: Sequence[tuple[str, int]]) -> None:
        req = rpc.ReleaseTasksRequest(
            releases=[rpc.TaskRelease(id=tid, lease_token=token) for tid, token in leases]
        )
        await call(self._stub.ReleaseTasks, req)


def open_qmd_channel(settings: ServiceSettings) -> grpc.aio.Channel:
    """An mTLS channel to qmd presenting the orchestrator's certificate."""
    return open_channel(
        settings.qmd_addr,
        settings.pki,
        settings.pki.service("orchestrator"),
        retry_methods=("/agent_runtime.qmd.v1.QmdService/Search",),
        default_timeout=settings.rpc_timeout_seconds,
        keepalive=settings.keepalive,
    )


class QmdClient:
    """qmd as the orchestrator uses it: search for grounding, reindex for reindex tasks."""

    def __init__(self, channel: grpc.aio.Channel, reindex_timeout_seconds: float = 300.0) -> None:
        self._stub = QmdServiceStub(channel)
        self._reindex_timeout = reindex_timeout_seconds

    async def search(self, workspace_id: str, query: str, limit: int) -> list[Hit]:
        req = qmd_rpc.SearchRequest(workspace_id=workspace_id, query=query, limit=limit)
        reply: qmd_rpc.SearchResponse = await call(self._stub.Search, req)
        return [Hit(uri=h.uri, title=h.title, snippet=h.snippet) for h in reply.hits]

    async def reindex(self, workspace_id: str) -> ReindexCounts:
        req = qmd_rpc.ReindexRequest(workspace_id=workspace_id)
        reply: qmd_rpc.ReindexResponse = await call(
            self._stub.Reindex, req, deadline_s=self._reindex_timeout
        )
        return ReindexCounts(reply.added, reply.updated, reply.removed, reply.unchanged)
