"""The OrchestratorService servicer: one thin async method per RPC (proto -> domain -> proto).

The task RPCs are a typed layer over the store's queue: every task is persisted by the store
before anything can claim it; this replica's worker pool (deps.workers) runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agent_runtime.orchestrator.v1 import resources_pb2 as api
from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1 import service_pb2_grpc
from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc import convert, listing, turns
from orchestrator_svc.approvals import ActionApprovals, approval_id_of
from orchestrator_svc.deps import Deps
from orchestrator_svc.drafts import draft_retry, draft_task
from orchestrator_svc.watch import Filter, Watch
from svckit import callctx, errors
from svckit.batches import batch_results, each

# Workers of this replica (busy, total) when it runs none.
NO_WORKERS = (0, 0)


def _required(name: str, value: str) -> str:
    if not value.strip():
        raise errors.InvalidArgument(f"{name} is required", field=name)
    return value.strip()


class OrchestratorServicer(service_pb2_grpc.OrchestratorServiceServicer):
    """Serves agent_runtime.orchestrator.v1.OrchestratorService."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._tasks = deps.tasks
        self._approvals = ActionApprovals(deps.approvals)

    def _out(self, row: store.Task) -> api.Task:
        return convert.task(row, int(self._deps.clock() * 1000))

    async def EnqueueTask(
        self, request: rpc.EnqueueTaskRequest, context: Any
    ) -> rpc.EnqueueTaskResponse:
        return await self._enqueue(request)

    async def EnqueueTasks(
        self, request: rpc.EnqueueTasksRequest, context: Any
    ) -> rpc.EnqueueTasksResponse:
        # Each on its own; their creates reach the store together (batching.CreateBatcher).
        results = await each(self._enqueue, list(request.tasks), "tasks")
        return rpc.EnqueueTasksResponse(
            results=batch_results(
                rpc.EnqueueTasksResult,
                results,
                lambda r: rpc.EnqueueTasksResult(task=r.task, created=r.created),
            )
        )

    async def _enqueue(self, request: rpc.EnqueueTaskRequest) -> rpc.EnqueueTaskResponse:
        draft = draft_task(convert.fields_of(request), int(self._deps.clock()))
        approval_id = approval_id_of(draft)
        if approval_id:
            await self._approvals.check(approval_id, draft)
        stored = await self._tasks.create(draft)
        if stored.created:
            self._deps.pulse.fire()
        if approval_id:
            # Also when the task was found: a retry completes what an interrupted call began.
            await self._approvals.queued(approval_id, stored.task.id)
        return rpc.EnqueueTaskResponse(task=self._out(stored.task), created=stored.created)

    async def GetTask(self, request: rpc.GetTaskRequest, context: Any) -> rpc.GetTaskResponse:
        row = await self._tasks.get(_required("id", request.id))
        return rpc.GetTaskResponse(task=self._out(row))

    async def ListTasks(self, request: rpc.ListTasksRequest, context: Any) -> rpc.ListTasksResponse:
        query = listing.task_query(convert.fields_of(request), callctx.acting_admin())
        page = await self._tasks.list(query)
        items = [self._out(t) for t in page.items]
        return rpc.ListTasksResponse(
            items=items, count=len(items), next_page_token=page.next_page_token
        )

    async def RetryTask(self, request: rpc.RetryTaskRequest, context: Any) -> rpc.RetryTaskResponse:
        callctx.require_admin()
        old = await self._tasks.get(_required("task_id", request.task_id))
        new = (await self._tasks.create(draft_retry(old))).task
        self._deps.pulse.fire()
        return rpc.RetryTaskResponse(
            task_id=new.id,
            retry_of_task=new.retry_of_task,
            workspace_id=new.workspace_id,
            context_id=new.context_id,
            kind=new.kind,
            status=new.status,
        )

    async def CancelTask(
        self, request: rpc.CancelTaskRequest, context: Any
    ) -> rpc.CancelTaskResponse:
        actor = callctx.require_admin()
        task_id = _required("task_id", request.task_id)
        row = await self._tasks.cancel(task_id, actor, request.reason.strip())
        if row.status == "running" and self._deps.workers is not None:
            # Running here: stop it now rather than at its next heartbeat. It stays running
            # until the worker has stopped; then the store records canceled.
            self._deps.workers.stop_task(row.id)
        self._deps.pulse.fire()
        return rpc.CancelTaskResponse(task=self._out(row))

    async def WatchTasks(
        self, request: rpc.WatchTasksRequest, context: Any
    ) -> AsyncIterator[rpc.WatchTasksResponse]:
        flt = Filter(
            workspace_id=request.workspace_id.strip(),
            context_id=request.context_id.strip(),
            task_id=request.task_id.strip(),
            kind=listing.kind_filter(request.kind),
        )
        watch = Watch(
            self._tasks, flt, self._deps.clock, self._deps.watch_poll_seconds, self._deps.pulse
        )
        changes = watch.changes(request.include_existing, request.after_cursor.strip())
        try:
            async for change in changes:
                yield rpc.WatchTasksResponse(
                    event=api.TaskEvent(
                        event=change.event,
                        task=self._out(change.task),
                        occurred_at_unix_ms=change.task.updated_at_unix * 1000,
                        cursor=change.cursor,
                    )
                )
        finally:  # also when the client went away and the RPC was cancelled
            await changes.aclose()

    async def RunTurn(self, request: rpc.RunTurnRequest, context: Any) -> rpc.RunTurnResponse:
        poll = self._deps.watch_poll_seconds
        return await turns.run_turn(self._tasks, self._deps.pulse, poll, request)

    async def GetQueueStats(
        self, request: rpc.GetQueueStatsRequest, context: Any
    ) -> rpc.GetQueueStatsResponse:
        pool = self._deps.workers
        # a lease with less than a third left missed a heartbeat (workers renew every third)
        near = pool.lease_ms // 3 if pool is not None else 0
        stats = await self._tasks.stats(request.workspace_id.strip(), near)
        workers = (pool.busy, pool.size) if pool is not None else NO_WORKERS
        return convert.queue_stats(stats, int(self._deps.clock()), workers)

    async def ListDeadLetters(
        self, request: rpc.ListDeadLettersRequest, context: Any
    ) -> rpc.ListDeadLettersResponse:
        page = await self._tasks.dead_letters(
            request.workspace_id.strip(),
            request.include_replayed,
            listing.limit(request.limit),
            request.page_token,
            listing.dead_letter_kind(request.kind),
        )
        rows = list(page.items)
        subjects = await listing.dead_subjects(self._tasks, rows)
        items = [convert.dead_letter(d, subjects.get(d.subject_id)) for d in rows]
        return rpc.ListDeadLettersResponse(
            items=items, count=len(items), next_page_token=page.next_page_token
        )

    async def ReplayDeadLetter(
        self, request: rpc.ReplayDeadLetterRequest, context: Any
    ) -> rpc.ReplayDeadLetterResponse:
        actor = callctx.require_admin()
        dl_id = _required("id", request.id)
        task, letter = await self._tasks.replay(dl_id, actor)
        self._deps.pulse.fire()
        return rpc.ReplayDeadLetterResponse(
            dead_letter=convert.dead_letter(letter, task), task_id=task.id
        )
