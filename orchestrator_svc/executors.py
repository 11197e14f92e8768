"""What runs a task of each kind: a small Protocol, the outcome it returns, and the registry
the worker pool claims by (it claims only the kinds it can execute, so other kinds wait)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished task: its short summary, workspace-relative artifact path, whole output."""

    summary: str
    path: str = ""
    text: str = ""


class Executor(Protocol):
    """Runs one claimed task. Raises `svckit.errors.*` (or any exception) when it fails: a
    `retryable` error (UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED, unexpected exceptions) spends
    the attempt and lets the store retry with backoff; anything else fails the task for good.
    It is cancelled (asyncio) when the task is canceled or the process drains."""

    async def run(self, task: store.Task) -> Outcome: ...


class Executors:
    """Executors by task kind."""

    def __init__(self, by_kind: Mapping[str, Executor]) -> None:
        self._by_kind = dict(by_kind)

    @property
    def kinds(self) -> list[str]:
        """The kinds this process can execute, sorted (what its workers claim)."""
        return sorted(self._by_kind)

    def for_kind(self, kind: str) -> Executor | None:
        return self._by_kind.get(kind)


def summary_of(text: str, limit: int = 180) -> str:
    """The original's task summary: whitespace collapsed, cut to `limit` bytes + `...`."""
    flat = " ".join(text.split())
    raw = flat.encode()
    if len(raw) <= limit:
        return flat or "task completed"
    return raw[:limit].decode(errors="ignore").rstrip() + "..."
