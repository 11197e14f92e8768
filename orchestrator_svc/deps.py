"""What the orchestrator is built from, each typed as a small Protocol. The executors (and
through them qmd and the agent) hang off the worker pool; later issues add the connectors
client here."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agent_runtime.store.v1 import approval_pb2
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc.drafts import Created, TaskDraft
from orchestrator_svc.listing import TaskQuery
from orchestrator_svc.watch import Pulse


class TaskStore(Protocol):
    """The store's task queue (`clients.StoreTasks`); raises `svckit.errors` on failure."""

    async def create(self, draft: TaskDraft) -> Created: ...

    async def get(self, task_id: str) -> store.Task: ...

    async def list(self, query: TaskQuery) -> store_rpc.ListTasksResponse:
        """One page, most recently updated first."""
        ...

    async def cancel(self, task_id: str, actor: str, reason: str) -> store.Task: ...

    async def stats(
        self, workspace_id: str, near_expiry_ms: int = 0
    ) -> store_rpc.QueueStatsResponse:
        """Lanes, ages and leases running out within `near_expiry_ms` (0: the store's 10 s)."""
        ...

    async def dead_letters(
        self, workspace_id: str, include_replayed: bool, limit: int, page_token: str, kind: str = ""
    ) -> store_rpc.ListDeadLettersResponse: ...

    async def replay(
        self, dead_letter_id: str, actor: str
    ) -> tuple[store.Task, store.DeadLetter]: ...


class ApprovalStore(Protocol):
    """The store's action approvals (`store_svc.client.StoreApprovals`); raises `svckit.errors`."""

    async def get(self, approval_id: str) -> approval_pb2.ActionApproval: ...

    async def queue(
        self, approval_id: str, task_id: str, actor: str
    ) -> approval_pb2.ActionApproval: ...

    async def record(
        self, approval_id: str, status: str, message: str, plugin: str
    ) -> approval_pb2.ActionApproval: ...


class Workers(Protocol):
    """The worker pool of this replica (`workers.WorkerPool`)."""

    @property
    def size(self) -> int: ...

    @property
    def busy(self) -> int: ...

    @property
    def lease_ms(self) -> int:
        """The lease its workers take and renew every third of."""
        ...

    def stop_task(self, task_id: str) -> bool: ...


@dataclass(frozen=True)
class Deps:
    """The orchestrator's collaborators."""

    tasks: TaskStore
    # Wall clock, unix seconds (a float).
    clock: Callable[[], float] = field(default=time.time)
    # How often a watch asks the store for changes when nothing in this replica woke it.
    watch_poll_seconds: float = 0.5
    # Woken by every change this replica makes, so its watchers see it at once.
    pulse: Pulse = field(default_factory=lambda: Pulse())
    # Approvals executed by `approval:<id>` tasks; without it such tasks are UNAVAILABLE.
    approvals: ApprovalStore | None = None
    # This replica's workers; without them GetQueueStats reports none and nothing runs here.
    workers: Workers | None = None
