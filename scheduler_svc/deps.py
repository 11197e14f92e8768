"""What the scheduler is built from, each collaborator typed as a small Protocol. Later
issues add the orchestrator client, the leader lease and the clock here."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import objective_pb2 as stored
from agent_runtime.store.v1 import objective_service_pb2 as store_rpc


class ObjectiveStore(Protocol):
    """Where objectives and their runs live (the store's ObjectiveService). Raises
    svckit.errors.* as the store raised them."""

    async def create(self, request: store_rpc.CreateObjectiveRequest) -> stored.Objective: ...

    async def get(self, objective_id: str) -> stored.Objective: ...

    async def list(
        self, workspace_id: str, *, active_only: bool, limit: int, page_token: str
    ) -> tuple[builtins.list[stored.Objective], str]:
        """One page of a workspace's objectives in creation order (at most `limit`; the store
        caps it at 500) and the opaque token of the next page ("" at the end)."""
        ...

    async def update(self, request: store_rpc.UpdateObjectiveRequest) -> stored.Objective: ...

    async def delete(self, objective_id: str, actor: str) -> str: ...

    async def list_runs(
        self, objective_id: str, *, limit: int, page_token: str, outcomes: Sequence[str] = ()
    ) -> tuple[builtins.list[stored.ObjectiveRun], str]:
        """One page of runs, newest first (in record order), only those with one of
        `outcomes` when given, and the token of the next page ("" at the end)."""
        ...


@dataclass(frozen=True)
class Deps:
    """The scheduler's collaborators."""

    objectives: ObjectiveStore
