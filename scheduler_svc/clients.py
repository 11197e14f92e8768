"""Typed async facades over the other services' stubs (the scheduler as a caller)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import grpc

from agent_runtime.orchestrator.v1 import resources_pb2 as orch
from agent_runtime.orchestrator.v1 import service_pb2 as orch_rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import lease_pb2
from agent_runtime.store.v1 import lease_service_pb2 as lease_rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc
from agent_runtime.store.v1.lease_service_pb2_grpc import LeaseServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from svckit import errors
from svckit.batches import refusal
from svckit.calls import call
from svckit.coalesce import Coalescer

OBJECTIVE_SERVICE = "/agent_runtime.store.v1.ObjectiveService/"
LEASE_SERVICE = "/agent_runtime.store.v1.LeaseService/"
ORCHESTRATOR_SERVICE = "/agent_runtime.orchestrator.v1.OrchestratorService/"
# Reads are safe to retry on UNAVAILABLE; writes are not (a create could land twice).
# Taking or renewing a lease one already holds is idempotent.
RETRY_METHODS = (
    *(
        OBJECTIVE_SERVICE + m
        for m in ("GetObjective", "ListObjectives", "ListObjectiveRuns", "ListDueObjectives")
    ),
    *(LEASE_SERVICE + m for m in ("AcquireLease", "RenewLease")),
)
# The scheduler always enqueues with a run_key, which makes EnqueueTask idempotent.
ORCHESTRATOR_RETRY_METHODS = tuple(ORCHESTRATOR_SERVICE + m for m in ("EnqueueTask", "GetTask"))

# The store refusing the scheduler is a deployment fault, not the caller's: don't hand the
# caller a PERMISSION_DENIED it can do nothing about.
REFUSED = "the store refused the scheduler"
ORCH_REFUSED = "the orchestrator refused the scheduler"
# The batch RPCs' cap (EnqueueTasks, RecordObjectiveRuns) and the batches out at once of
# each: the calls asked for while they are out wait and share the next (svckit.coalesce).
MAX_BATCH = 100
IN_FLIGHT = 2
_Recorded = tuple[stored.Objective, stored.ObjectiveRun]


class StoreObjectives:
    """The store's ObjectiveService as the scheduler uses it."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ObjectiveServiceStub(channel)  # an aio channel: the async stub
        # Runs recorded together (the objectives due in one second) share RecordObjectiveRuns.
        self._records: Coalescer[store_rpc.RecordObjectiveRunRequest, _Recorded] = Coalescer(
            self._record_batch, MAX_BATCH, IN_FLIGHT
        )

    async def create(self, request: store_rpc.CreateObjectiveRequest) -> stored.Objective:
        reply: store_rpc.CreateObjectiveResponse = await call(
            self._stub.CreateObjective, request, refused=REFUSED
        )
        return reply.objective

    async def get(self, objective_id: str) -> stored.Objective:
        request = store_rpc.GetObjectiveRequest(id=objective_id)
        reply: store_rpc.GetObjectiveResponse = await call(
            self._stub.GetObjective, request, refused=REFUSED
        )
        return reply.objective

    async def list(
        self,
        workspace_id: str,
        *,
        active_only: bool,
        limit: int,
        page_token: str,
        event_key: str = "",
    ) -> tuple[builtins.list[stored.Objective], str]:
        request = store_rpc.ListObjectivesRequest(
            workspace_id=workspace_id,
            active_only=active_only,
            limit=limit,
            page_token=page_token,
            event_key=event_key,
        )
        reply: store_rpc.ListObjectivesResponse = await call(
            self._stub.ListObjectives, request, refused=REFUSED
        )
        return list(reply.items), reply.next_page_token

    async def update(self, request: store_rpc.UpdateObjectiveRequest) -> stored.Objective:
        reply: store_rpc.UpdateObjectiveResponse = await call(
            self._stub.UpdateObjective, request, refused=REFUSED
        )
        return reply.objective

    async def delete(self, objective_id: str, actor: str) -> str:
        request = store_rpc.DeleteObjectiveRequest(id=objective_id, actor=actor)
        reply: store_rpc.DeleteObjectiveResponse = await call(
            self._stub.DeleteObjective, request, refused=REFUSED
        )
        return reply.id

    async def list_runs(
        self, objective_id: str, *, limit: int, page_token: str, outcomes: Sequence[str] = ()
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        request = store_rpc.ListObjectiveRunsRequest(
            objective_id=objective_id, limit=limit, page_token=page_token, outcomes=outcomes
        )
        reply: store_rpc.ListObjectiveRunsResponse = await call(
            self._stub.ListObjectiveRuns, request, refused=REFUSED
        )
        return list(reply.items), reply.next_page_token

    async def due(self, now_unix: int, limit: int) -> builtins.list[stored.Objective]:
        request = store_rpc.ListDueObjectivesRequest(now_unix=now_unix, limit=limit)
        reply: store_rpc.ListDueObjectivesResponse = await call(
            self._stub.ListDueObjectives, request, refused=REFUSED
        )
        return list(reply.items)

    async def record(
        self, request: store_rpc.RecordObjectiveRunRequest
    ) -> tuple[stored.Objective, stored.ObjectiveRun]:
        return await self._records.submit(request)

    async def _record_batch(
        self, items: builtins.list[store_rpc.RecordObjectiveRunRequest]
    ) -> builtins.list[tuple[stored.Objective, stored.ObjectiveRun] | errors.DomainError]:
        request = store_rpc.RecordObjectiveRunsRequest(runs=items)
        reply: store_rpc.RecordObjectiveRunsResponse = await call(
            self._stub.RecordObjectiveRuns, request, refused=REFUSED
        )
        return [(r.objective, r.run) if not r.code else refusal(r) for r in reply.results]

    async def open_runs(
        self, limit: int, page_token: str
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        request = store_rpc.ListObjectiveRunsRequest(
            any_objective=True, limit=limit, page_token=page_token, outcomes=["queued", "running"]
        )
        reply: store_rpc.ListObjectiveRunsResponse = await call(
            self._stub.ListObjectiveRuns, request, refused=REFUSED
        )
        return list(reply.items), reply.next_page_token

    async def finish(self, request: store_rpc.FinishObjectiveRunRequest) -> stored.Objective:
        reply: store_rpc.FinishObjectiveRunResponse = await call(
            self._stub.FinishObjectiveRun, request, refused=REFUSED
        )
        return reply.objective

    async def start(self, request: store_rpc.StartObjectiveRunRequest) -> stored.ObjectiveRun:
        reply: store_rpc.StartObjectiveRunResponse = await call(
            self._stub.StartObjectiveRun, request, refused=REFUSED
        )
        return reply.run


class StoreLease:
    """The store's LeaseService: leader leases by name."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = LeaseServiceStub(channel)

    async def acquire(self, name: str, holder: str, ttl_ms: int) -> lease_pb2.LeaderLease:
        request = lease_rpc.AcquireLeaseRequest(name=name, holder=holder, ttl_ms=ttl_ms)
        reply: lease_rpc.AcquireLeaseResponse = await call(
            self._stub.AcquireLease, request, refused=REFUSED
        )
        return reply.lease

    async def renew(self, name: str, holder: str, ttl_ms: int) -> lease_pb2.LeaderLease:
        request = lease_rpc.RenewLeaseRequest(name=name, holder=holder, ttl_ms=ttl_ms)
        reply: lease_rpc.RenewLeaseResponse = await call(
            self._stub.RenewLease, request, refused=REFUSED
        )
        return reply.lease

    async def release(self, name: str, holder: str) -> bool:
        request = lease_rpc.ReleaseLeaseRequest(name=name, holder=holder)
        reply: lease_rpc.ReleaseLeaseResponse = await call(
            self._stub.ReleaseLease, request, refused=REFUSED
        )
        return reply.released


class OrchestratorTasks:
    """The orchestrator's EnqueueTasks and GetTask, for the tasks objective runs execute.
    The enqueues asked for together (the objectives due in one second) go out in batches of
    up to 100, `IN_FLIGHT` at a time; each still gets its own task or its own error."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)
        self._enqueues: Coalescer[orch_rpc.EnqueueTaskRequest, tuple[orch.Task, bool]] = Coalescer(
            self._enqueue_batch, MAX_BATCH, IN_FLIGHT
        )

    async def enqueue(self, request: orch_rpc.EnqueueTaskRequest) -> tuple[orch.Task, bool]:
        """The task and whether it is new (False: its run_key already had one)."""
        return await self._enqueues.submit(request)

    async def _enqueue_batch(
        self, items: list[orch_rpc.EnqueueTaskRequest]
    ) -> list[tuple[orch.Task, bool] | errors.DomainError]:
        request = orch_rpc.EnqueueTasksRequest(tasks=items)
        reply: orch_rpc.EnqueueTasksResponse = await call(
            self._stub.EnqueueTasks, request, refused=ORCH_REFUSED
        )
        return [(r.task, r.created) if not r.code else refusal(r) for r in reply.results]

    async def get(self, task_id: str) -> orch.Task:
        request = orch_rpc.GetTaskRequest(id=task_id)
        reply: orch_rpc.GetTaskResponse = await call(
            self._stub.GetTask, request, refused=ORCH_REFUSED
        )
        return reply.task
