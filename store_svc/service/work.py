"""ObjectiveService and ApprovalService: thin proto ↔ domain glue."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from google.protobuf.message import Message

from agent_runtime.store.v1 import approval_pb2, objective_pb2
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceServicer
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceServicer
from store_svc.approvals import Approvals
from store_svc.convert import to_msg
from store_svc.db import Row
from store_svc.objective_runs import ObjectiveRuns
from store_svc.objectives import Objectives
from svckit import callctx
from svckit.batches import batch_results, each
from svckit.callctx import audit_actor

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]  # unary RPCs: no messages go through it
Approval, Run = approval_pb2.ActionApproval, objective_pb2.ObjectiveRun


def objective_msg(row: Row) -> objective_pb2.Objective:
    msg = to_msg(objective_pb2.Objective, row)
    msg.recent_errors.extend(objective_pb2.ObjectiveError(**e) for e in row["recent_errors"])
    msg.next_runs_unix.extend(row["next_runs_unix"])
    return msg


def present(msg: Message) -> dict[str, Any]:
    """The fields of `msg` that are set (proto3 `optional` presence), as a dict."""
    return {f.name: v for f, v in msg.ListFields()}


class ObjectiveService(ObjectiveServiceServicer):
    def __init__(self, objectives: Objectives, runs: ObjectiveRuns) -> None:
        self._o, self._runs = objectives, runs

    async def CreateObjective(
        self, request: orpc.CreateObjectiveRequest, context: Ctx
    ) -> orpc.CreateObjectiveResponse:
        req = present(request)
        req.setdefault("active", True)
        row = await self._o.create(req, audit_actor())
        return orpc.CreateObjectiveResponse(objective=objective_msg(row))

    async def GetObjective(
        self, request: orpc.GetObjectiveRequest, context: Ctx
    ) -> orpc.GetObjectiveResponse:
        return orpc.GetObjectiveResponse(objective=objective_msg(await self._o.get(request.id)))

    async def ListObjectives(
        self, request: orpc.ListObjectivesRequest, context: Ctx
    ) -> orpc.ListObjectivesResponse:
        rows, token = await self._o.page(
            request.workspace_id,
            request.active_only,
            request.limit,
            request.event_key,
            request.page_token,
        )
        return orpc.ListObjectivesResponse(
            items=[objective_msg(r) for r in rows], count=len(rows), next_page_token=token
        )

    async def ListDueObjectives(
        self, request: orpc.ListDueObjectivesRequest, context: Ctx
    ) -> orpc.ListDueObjectivesResponse:
        rows = await self._o.list_due(request.now_unix, request.limit)
        return orpc.ListDueObjectivesResponse(items=[objective_msg(r) for r in rows])

    async def UpdateObjective(
        self, request: orpc.UpdateObjectiveRequest, context: Ctx
    ) -> orpc.UpdateObjectiveResponse:
        changes = present(request)
        changes.pop("id", None)
        changes.pop("actor", None)
        if "active" in changes and str(callctx.current().caller) != "svc:scheduler":
            # pausing or resuming is an admin's decision (SPEC.md); the scheduler checks
            # its own callers, the orchestrator's agent tools may not
            callctx.require_admin()
        row = await self._o.update(request.id, changes, audit_actor())
        return orpc.UpdateObjectiveResponse(objective=objective_msg(row))

    async def DeleteObjective(
        self, request: orpc.DeleteObjectiveRequest, context: Ctx
    ) -> orpc.DeleteObjectiveResponse:
        oid = await self._o.delete(request.id, audit_actor())
        return orpc.DeleteObjectiveResponse(id=oid, deleted=True)

    async def RecordObjectiveRun(
        self, request: orpc.RecordObjectiveRunRequest, context: Ctx
    ) -> orpc.RecordObjectiveRunResponse:
        obj, run = await self._runs.record(present(request), audit_actor())
        return orpc.RecordObjectiveRunResponse(objective=objective_msg(obj), run=to_msg(Run, run))

    async def RecordObjectiveRuns(
        self, request: orpc.RecordObjectiveRunsRequest, context: Ctx
    ) -> orpc.RecordObjectiveRunsResponse:
        actor = audit_actor()

        async def one(req: orpc.RecordObjectiveRunRequest) -> tuple[Row, Row]:
            return await self._runs.record(present(req), actor)

        results = await each(one, list(request.runs), "runs")
        return orpc.RecordObjectiveRunsResponse(
            results=batch_results(
                orpc.RecordObjectiveRunsResult,
                results,
                lambda r: orpc.RecordObjectiveRunsResult(
                    objective=objective_msg(r[0]), run=to_msg(Run, r[1])
                ),
            )
        )

    async def FinishObjectiveRun(
        self, request: orpc.FinishObjectiveRunRequest, context: Ctx
    ) -> orpc.FinishObjectiveRunResponse:
        obj, run = await self._runs.finish(present(request), audit_actor())
        return orpc.FinishObjectiveRunResponse(objective=objective_msg(obj), run=to_msg(Run, run))

    async def StartObjectiveRun(
        self, request: orpc.StartObjectiveRunRequest, context: Ctx
    ) -> orpc.StartObjectiveRunResponse:
        run = await self._runs.start(present(request))
        return orpc.StartObjectiveRunResponse(run=to_msg(Run, run))

    async def ListObjectiveRuns(
        self, request: orpc.ListObjectiveRunsRequest, context: Ctx
    ) -> orpc.ListObjectiveRunsResponse:
        rows, token = await self._runs.list(
            request.objective_id,
            request.limit,
            request.page_token,
            list(request.outcomes),
            request.any_objective,
        )
        return orpc.ListObjectiveRunsResponse(
            items=[to_msg(Run, r) for r in rows], next_page_token=token
        )


class ApprovalService(ApprovalServiceServicer):
    def __init__(self, approvals: Approvals) -> None:
        self._a = approvals

    async def CreateApproval(
        self, request: arpc.CreateApprovalRequest, context: Ctx
    ) -> arpc.CreateApprovalResponse:
        row, created = await self._a.create_once(present(request))
        return arpc.CreateApprovalResponse(approval=to_msg(Approval, row), created=created)

    async def GetApproval(
        self, request: arpc.GetApprovalRequest, context: Ctx
    ) -> arpc.GetApprovalResponse:
        return arpc.GetApprovalResponse(approval=to_msg(Approval, await self._a.get(request.id)))

    async def ListApprovals(
        self, request: arpc.ListApprovalsRequest, context: Ctx
    ) -> arpc.ListApprovalsResponse:
        rows, token = await self._a.page(present(request), request.limit, request.page_token)
        return arpc.ListApprovalsResponse(
            items=[to_msg(Approval, r) for r in rows], count=len(rows), next_page_token=token
        )

    async def QueueExecution(
        self, request: arpc.QueueExecutionRequest, context: Ctx
    ) -> arpc.QueueExecutionResponse:
        row = await self._a.queue_execution(request.id, request.task_id, audit_actor())
        return arpc.QueueExecutionResponse(approval=to_msg(Approval, row))

    async def DecideApproval(
        self, request: arpc.DecideApprovalRequest, context: Ctx
    ) -> arpc.DecideApprovalResponse:
        row = await self._a.decide(
            request.id, request.approve, request.approver_user_id, request.reason
        )
        return arpc.DecideApprovalResponse(approval=to_msg(Approval, row))

    async def RecordExecution(
        self, request: arpc.RecordExecutionRequest, context: Ctx
    ) -> arpc.RecordExecutionResponse:
        row = await self._a.record_execution(
            request.id,
            request.execution_status,
            request.execution_message,
            request.executor_plugin,
            request.executed_at_unix,
            audit_actor(),
        )
        return arpc.RecordExecutionResponse(approval=to_msg(Approval, row))
