"""Filters and pages of the read RPCs: task listings and dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc import vocab
from svckit.errors import DomainError, InvalidArgument

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
DEAD_LETTER_KINDS = ("task", "delivery")
_LOOKUPS = 16  # dead tasks looked up at once to describe a page of dead letters


def limit(value: int) -> int:
    """Page size: 0 means 100; more than 500 is cut to 500; negative is refused."""
    if value < 0:
        raise InvalidArgument("limit must be a positive integer", field="limit")
    return min(value or DEFAULT_LIMIT, MAX_LIMIT)


def _choice(name: str, value: str, allowed: frozenset[str] | tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value and value not in allowed:
        raise InvalidArgument(f"{name} must be one of {', '.join(sorted(allowed))}", field=name)
    return value


def kind_filter(value: str) -> str:
    return _choice("kind", value, vocab.KINDS)


def dead_letter_kind(value: str) -> str:
    return _choice("kind", value, DEAD_LETTER_KINDS)


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """One page of the store's task listing (most recently updated first): exact-match
    filters ("" matches everything), the page size (0: the store's default) and the token."""

    workspace_id: str = ""
    context_id: str = ""
    kind: str = ""
    status: str = ""
    limit: int = 0
    page_token: str = ""


def task_query(fields: Mapping[str, object], acting_admin: str | None) -> TaskQuery:
    """The store query of a ListTasks request. Without a workspace it lists every workspace,
    which only an admin may do (the original always required workspace_id)."""
    workspace_id = str(fields.get("workspace_id") or "").strip()
    if not workspace_id and acting_admin is None:
        raise InvalidArgument("workspace_id is required", field="workspace_id")
    return TaskQuery(
        workspace_id=workspace_id,
        context_id=str(fields.get("context_id") or "").strip(),
        kind=kind_filter(str(fields.get("kind") or "")),
        status=_choice("status", str(fields.get("status") or ""), vocab.STATUSES),
        limit=limit(int(str(fields.get("limit") or 0))),
        page_token=str(fields.get("page_token") or ""),
    )


class DeadLetterSource(Protocol):
    async def get(self, task_id: str) -> store.Task: ...

    async def dead_letters(
        self, workspace_id: str, include_replayed: bool, limit: int, page_token: str, kind: str = ""
    ) -> store_rpc.ListDeadLettersResponse: ...


async def dead_subjects(
    tasks: DeadLetterSource, rows: Sequence[store.DeadLetter]
) -> dict[str, store.Task]:
    """The dead tasks of `rows` by id (their context and title describe the dead letter);
    a task that cannot be read is left out rather than failing the listing."""
    gate = asyncio.Semaphore(_LOOKUPS)

    async def one(task_id: str) -> store.Task | None:
        async with gate:
            try:
                return await tasks.get(task_id)
            except DomainError:
                return None

    ids = sorted({d.subject_id for d in rows if d.subject_kind == "task"})
    found = await asyncio.gather(*(one(i) for i in ids))
    return {t.id: t for t in found if t is not None}
