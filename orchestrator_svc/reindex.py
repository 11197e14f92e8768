"""The `reindex_markdown` executor: a qmd `Reindex` of the task's workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.executors import Outcome
from svckit.errors import FailedPrecondition


@dataclass(frozen=True, slots=True)
class ReindexCounts:
    added: int
    updated: int
    removed: int
    unchanged: int


class Indexer(Protocol):
    """qmd's Reindex (`clients.QmdClient`)."""

    async def reindex(self, workspace_id: str) -> ReindexCounts: ...


class ReindexExecutor:
    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer

    async def run(self, task: store.Task) -> Outcome:
        ws = task.workspace_id.strip()
        if not ws:
            raise FailedPrecondition("workspace id is required for reindex")
        n = await self._indexer.reindex(ws)
        return Outcome(
            summary=f"workspace `{ws}` reindexed: {n.added} added, {n.updated} updated,"
            f" {n.removed} removed, {n.unchanged} unchanged"
        )
