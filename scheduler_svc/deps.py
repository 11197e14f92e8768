"""What the scheduler is built from, each collaborator typed as a small Protocol."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent_runtime.orchestrator.v1 import resources_pb2 as orch
from agent_runtime.orchestrator.v1 import service_pb2 as orch_rpc
from agent_runtime.store.v1 import lease_pb2
from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc


class ObjectiveStore(Protocol):
    """Where objectives and their runs live (the store's ObjectiveService). Raises
    svckit.errors.* as the store raised them."""

    async def create(self, request: store_rpc.CreateObjectiveRequest) -> stored.Objective: ...

    async def get(self, objective_id: str) -> stored.Objective: ...

    async def list(
        self,
        workspace_id: str,
        *,
        active_only: bool,
        limit: int,
        page_token: str,
        event_key: str = "",
    ) -> tuple[builtins.list[stored.Objective], str]:
        """One page of a workspace's objectives in creation order (at most `limit`; the store
        caps it at 500; only event objectives with `event_key` when given) and the opaque
        token of the next page ("" at the end)."""
        ...

    async def update(self, request: store_rpc.UpdateObjectiveRequest) -> stored.Objective: ...

    async def delete(self, objective_id: str, actor: str) -> str: ...

    async def list_runs(
        self, objective_id: str, *, limit: int, page_token: str, outcomes: Sequence[str] = ()
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        """One page of runs, newest first (in record order), only those with one of
        `outcomes` when given, and the token of the next page ("" at the end)."""
        ...

    async def due(self, now_unix: int, limit: int) -> builtins.list[stored.Objective]:
        """Active schedule and `at` objectives whose next run is at or before `now_unix`,
        earliest first."""
        ...

    async def record(
        self, request: store_rpc.RecordObjectiveRunRequest
    ) -> tuple[stored.Objective, stored.ObjectiveRun]:
        """Record a run; the store stores the request's `next_run_unix` (0 clears it)."""
        ...

    async def open_runs(
        self, limit: int, page_token: str
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        """One page of the queued and running runs of every objective, and the next page's
        token ("" at the end)."""
        ...

    async def finish(self, request: store_rpc.FinishObjectiveRunRequest) -> stored.Objective:
        """Close an open run with its outcome, once (FAILED_PRECONDITION naming the stored
        `outcome` when it is closed already); the objective after the update."""
        ...

    async def start(self, request: store_rpc.StartObjectiveRunRequest) -> stored.ObjectiveRun:
        """Mark a queued run running (its task started); FAILED_PRECONDITION naming the
        stored `outcome` when it is closed already."""
        ...


class TaskQueue(Protocol):
    """The orchestrator's tasks. Raises svckit.errors.* as the orchestrator raised them."""

    async def enqueue(self, request: orch_rpc.EnqueueTaskRequest) -> tuple[orch.Task, bool]:
        """The task and whether it was created (False: the run_key already had one)."""
        ...

    async def get(self, task_id: str) -> orch.Task: ...


class LeaseStore(Protocol):
    """Leader leases (the store's LeaseService); ABORTED (svckit.errors.Aborted) when another
    holder has the lease."""

    async def acquire(self, name: str, holder: str, ttl_ms: int) -> lease_pb2.LeaderLease: ...

    async def renew(self, name: str, holder: str, ttl_ms: int) -> lease_pb2.LeaderLease: ...

    async def release(self, name: str, holder: str) -> bool: ...


@dataclass(frozen=True)
class Deps:
    """The scheduler's collaborators."""

    objectives: ObjectiveStore
    tasks: TaskQueue
    leases: LeaseStore
    # Wall clock, unix seconds (a float): when slots are due.
    clock: Callable[[], float] = field(default=time.time)
