"""TaskService: one thin method per RPC (proto → domain → proto)."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from agent_runtime.store.v1 import task_pb2 as pb
from agent_runtime.store.v1 import task_service_pb2 as rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceServicer
from store_svc.convert import fields_of, to_msg
from store_svc.dead_letters import DeadLetters
from store_svc.queue import Queue
from store_svc.tasks import Tasks
from svckit.batches import batch_results
from svckit.callctx import audit_actor

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]  # unary RPCs: no messages go through it
CLAIM_MARGIN_MS = 200


class TaskService(TaskServiceServicer):
    def __init__(self, tasks: Tasks, queue: Queue, dead: DeadLetters) -> None:
        self._tasks, self._queue, self._dead = tasks, queue, dead

    async def CreateTask(
        self, request: rpc.CreateTaskRequest, context: Ctx
    ) -> rpc.CreateTaskResponse:
        row = await self._tasks.create(fields_of(request))
        return rpc.CreateTaskResponse(task=to_msg(pb.Task, row))

    async def CreateTasks(
        self, request: rpc.CreateTasksRequest, context: Ctx
    ) -> rpc.CreateTasksResponse:
        results = await self._tasks.create_many([fields_of(t) for t in request.tasks])
        return rpc.CreateTasksResponse(
            results=batch_results(
                rpc.CreateTasksResult,
                results,
                lambda r: rpc.CreateTasksResult(task=to_msg(pb.Task, r)),
                "existing_id",
            )
        )

    async def GetTask(self, request: rpc.GetTaskRequest, context: Ctx) -> rpc.GetTaskResponse:
        return rpc.GetTaskResponse(task=to_msg(pb.Task, await self._tasks.get(request.id)))

    async def ListTasks(self, request: rpc.ListTasksRequest, context: Ctx) -> rpc.ListTasksResponse:
        rows, token = await self._tasks.list(fields_of(request), request.limit, request.page_token)
        return rpc.ListTasksResponse(
            items=[to_msg(pb.Task, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def UpdateTaskRouting(
        self, request: rpc.UpdateTaskRoutingRequest, context: Ctx
    ) -> rpc.UpdateTaskRoutingResponse:
        row = await self._tasks.update_routing(fields_of(request))
        return rpc.UpdateTaskRoutingResponse(task=to_msg(pb.Task, row))

    async def ClaimTasks(
        self, request: rpc.ClaimTasksRequest, context: Ctx
    ) -> rpc.ClaimTasksResponse:
        wait_ms = request.wait_ms
        left = context.time_remaining()
        if wait_ms > 0 and left is not None:
            # answer before the caller's deadline: a claim made for a caller that already
            # gave up would leave its tasks leased to nobody until the lease runs out
            wait_ms = max(0, min(wait_ms, int(left * 1000) - CLAIM_MARGIN_MS))
        rows = await self._queue.claim(
            request.worker_id,
            request.max_tasks,
            request.lease_ms,
            list(request.lanes),
            list(request.kinds),
            wait_ms,
        )
        return rpc.ClaimTasksResponse(tasks=[to_msg(pb.Task, r) for r in rows])

    async def HeartbeatTask(
        self, request: rpc.HeartbeatTaskRequest, context: Ctx
    ) -> rpc.HeartbeatTaskResponse:
        exp, cancel = await self._queue.heartbeat(request.id, request.lease_token, request.lease_ms)
        return rpc.HeartbeatTaskResponse(lease_expires_at_ms=exp, cancel_requested=cancel)

    async def CompleteTask(
        self, request: rpc.CompleteTaskRequest, context: Ctx
    ) -> rpc.CompleteTaskResponse:
        row = await self._queue.complete(
            request.id,
            request.lease_token,
            request.result_summary,
            request.result_path,
            request.result_text,
        )
        return rpc.CompleteTaskResponse(task=to_msg(pb.Task, row))

    async def CompleteTasks(
        self, request: rpc.CompleteTasksRequest, context: Ctx
    ) -> rpc.CompleteTasksResponse:
        done = await self._queue.complete_many(
            [
                (c.id, c.lease_token, c.result_summary, c.result_path, c.result_text)
                for c in request.completions
            ]
        )
        return rpc.CompleteTasksResponse(
            results=[
                rpc.TaskCompletionResult(id=tid, completed=True)
                if err is None
                else rpc.TaskCompletionResult(id=tid, code=err.code, message=err.message)
                for tid, err in done
            ]
        )

    async def ReleaseTasks(
        self, request: rpc.ReleaseTasksRequest, context: Ctx
    ) -> rpc.ReleaseTasksResponse:
        done = await self._queue.release([(r.id, r.lease_token) for r in request.releases])
        return rpc.ReleaseTasksResponse(
            results=[
                rpc.TaskReleaseResult(id=tid, status=out)
                if isinstance(out, str)
                else rpc.TaskReleaseResult(id=tid, code=out.code, message=out.message)
                for tid, out in done
            ]
        )

    async def FailTask(self, request: rpc.FailTaskRequest, context: Ctx) -> rpc.FailTaskResponse:
        row, dl = await self._queue.fail(
            request.id, request.lease_token, request.error_message, request.retryable
        )
        return rpc.FailTaskResponse(
            task=to_msg(pb.Task, row), dead_letter=to_msg(pb.DeadLetter, dl) if dl else None
        )

    async def CancelTask(
        self, request: rpc.CancelTaskRequest, context: Ctx
    ) -> rpc.CancelTaskResponse:
        row = await self._tasks.cancel(request.id, audit_actor(), request.reason)
        return rpc.CancelTaskResponse(task=to_msg(pb.Task, row))

    async def QueueStats(
        self, request: rpc.QueueStatsRequest, context: Ctx
    ) -> rpc.QueueStatsResponse:
        s = await self._dead.stats(request.workspace_id, request.near_expiry_ms)
        return rpc.QueueStatsResponse(
            lanes=[rpc.LaneStats(**lane) for lane in s["lanes"]],
            oldest_queued_age_ms=s["oldest_queued_age_ms"],
            oldest_lease_age_ms=s["oldest_lease_age_ms"],
            dead=s["dead"],
        )

    async def ListDeadLetters(
        self, request: rpc.ListDeadLettersRequest, context: Ctx
    ) -> rpc.ListDeadLettersResponse:
        rows, token = await self._dead.list(
            request.workspace_id,
            request.include_replayed,
            request.page_size,
            request.page_token,
            request.subject_kind.strip().lower(),
        )
        return rpc.ListDeadLettersResponse(
            items=[to_msg(pb.DeadLetter, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def ReplayDeadLetter(
        self, request: rpc.ReplayDeadLetterRequest, context: Ctx
    ) -> rpc.ReplayDeadLetterResponse:
        task, dl = await self._dead.replay(request.id, audit_actor())
        return rpc.ReplayDeadLetterResponse(
            task=to_msg(pb.Task, task), dead_letter=to_msg(pb.DeadLetter, dl)
        )
