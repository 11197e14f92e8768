"""WatchTasks: task changes found by polling the store, newest change first, back to an
updated-since cursor. The store keeps no change log, so what is streamed is each task's
status as the poll saw it: a change undone between two polls is not seen, and a resumed
watch may repeat changes made in the second of its cursor (at least once). A new watch
streams what changes after it read its baseline; `include_existing` sends that baseline's
active tasks first, which also tells the client that the watch is in place."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc import vocab
from orchestrator_svc.listing import TaskQuery
from svckit.errors import InvalidArgument

PAGE = 200
MAX_PAGES = 10  # per poll; a burst beyond this many changes is seen in its final state only
OVERLAP_S = 2  # store timestamps are whole seconds and writes commit out of order


class Pulse:
    """Wakes every waiting watch at once (a change was just made in this replica)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> None:
        """Until the next `fire()`, or `seconds` at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()


class Lister(Protocol):
    async def get(self, task_id: str) -> store.Task: ...

    async def list(self, query: TaskQuery) -> store_rpc.ListTasksResponse: ...


@dataclass(frozen=True, slots=True)
class Filter:
    """Exact-match filters; empty matches everything."""

    workspace_id: str = ""
    context_id: str = ""
    task_id: str = ""
    kind: str = ""

    def matches(self, t: store.Task) -> bool:
        return all(
            not want or want == got
            for want, got in (
                (self.workspace_id, t.workspace_id),
                (self.context_id, t.context_id),
                (self.task_id, t.id),
                (self.kind, t.kind),
            )
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One streamed change: the event name, the task after it, its resume cursor."""

    event: str
    task: store.Task
    cursor: str


def event_of(t: store.Task) -> str:
    """The event a task's current status stands for."""
    if t.status == "queued":
        return "retrying" if t.attempts else "queued"
    if t.status == "running":
        return "started"
    return t.status


def _state(t: store.Task) -> tuple[str, int]:
    return t.status, t.attempts


def encode_cursor(t: store.Task) -> str:
    raw = f"1|{t.updated_at_unix}|{t.id}|{t.status}|{t.attempts}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str, tuple[str, int]]:
    """(updated_at_unix, task id, state) of a cursor; InvalidArgument when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, updated, task_id, status, attempts = raw.split("|")
        if version != "1":
            raise ValueError(version)
        return int(updated), task_id, (status, int(attempts))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument("after_cursor is not a watch cursor", field="after_cursor") from None


class Watch:
    """The changes of the tasks matching `flt`, as an async iterator that polls until the
    consumer stops iterating (the RPC is cancelled when its client goes away)."""

    def __init__(
        self,
        tasks: Lister,
        flt: Filter,
        clock: Callable[[], float],
        poll_seconds: float,
        pulse: Pulse,
    ) -> None:
        self._tasks, self._flt, self._clock = tasks, flt, clock
        self._poll, self._pulse = poll_seconds, pulse
        # task id -> (state last streamed, updated_at_unix when seen)
        self._seen: dict[str, tuple[tuple[str, int], int]] = {}

    async def changes(
        self, include_existing: bool, after_cursor: str
    ) -> AsyncGenerator[Change, None]:
        if after_cursor:
            since, task_id, state = decode_cursor(after_cursor)
            self._seen[task_id] = (state, since)
        else:
            # Starting now: what the store shows at this moment is the baseline, not news
            # (its timestamps are whole seconds, so "changed since now" includes the past).
            since = int(self._clock()) - OVERLAP_S
            for t in await self._changed_since(since):
                self._seen[t.id] = (_state(t), t.updated_at_unix)
        if self._flt.task_id:
            await self._tasks.get(self._flt.task_id)  # NOT_FOUND before anything is streamed
        if include_existing:
            for t in await self._existing():
                self._seen[t.id] = (_state(t), t.updated_at_unix)
                yield Change("snapshot", t, encode_cursor(t))
        while True:
            rows = await self._changed_since(since)
            for t in sorted(rows, key=lambda r: (r.updated_at_unix, r.id)):
                before = self._seen.get(t.id)
                # kept fresh on every sighting so pruning below never forgets a task that is
                # still in the window (a routing change moves updated_at, not the state)
                self._seen[t.id] = (_state(t), t.updated_at_unix)
                if before is None or before[0] != _state(t):
                    yield Change(event_of(t), t, encode_cursor(t))
            if rows:
                since = max(since, max(t.updated_at_unix for t in rows) - OVERLAP_S)
                self._seen = {k: v for k, v in self._seen.items() if v[1] >= since}
            await self._pulse.wait(self._poll)

    async def _existing(self) -> list[store.Task]:
        if self._flt.task_id:
            t = await self._tasks.get(self._flt.task_id)
            return [t] if self._flt.matches(t) and t.status not in vocab.TERMINAL else []
        out: list[store.Task] = []
        for status in vocab.ACTIVE:
            out += await self._pages(status=status, stop_before=None)
        return sorted(out, key=lambda t: (t.created_at_unix, t.id))

    async def _changed_since(self, since: int) -> list[store.Task]:
        if self._flt.task_id:
            t = await self._tasks.get(self._flt.task_id)
            return [t] if self._flt.matches(t) and t.updated_at_unix >= since else []
        return await self._pages(status="", stop_before=since)

    async def _pages(self, *, status: str, stop_before: int | None) -> list[store.Task]:
        """Newest change first; with `stop_before`, only tasks updated at or after it."""
        out: list[store.Task] = []
        token = ""
        for _ in range(MAX_PAGES):
            query = TaskQuery(
                workspace_id=self._flt.workspace_id,
                context_id=self._flt.context_id,
                kind=self._flt.kind,
                status=status,
                limit=PAGE,
                page_token=token,
            )
            page = await self._tasks.list(query)
            fresh = [
                t for t in page.items if stop_before is None or t.updated_at_unix >= stop_before
            ]
            out += fresh
            token = page.next_page_token
            if not token or len(fresh) < len(page.items):
                break
        return out
