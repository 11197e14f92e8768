"""The orchestrator's facades: agent turns and tasks, and the tasks of approved actions."""

from __future__ import annotations

import grpc

from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_pb2
from svckit.calls import call
from svckit.interceptors import ACTING_ADMIN


class OrchestratorTasks:
    """The orchestrator's EnqueueTask, for the tasks that execute approved actions."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)

    async def enqueue_action(self, approval: approval_pb2.ActionApproval, acting_admin: str) -> str:
        request = orpc.EnqueueTaskRequest(
            workspace_id=approval.workspace_id,
            context_id=approval.context_id,
            kind="action",
            run_key=f"approval:{approval.id}",
            title=action_title(approval),
            prompt=action_prompt(approval),
            source_connector=approval.connector,
            source_external_id=approval.external_id,
            source_user_id=approval.requester_user_id,
            source_text=approval.action_summary,
        )
        # The orchestrator records the admin behind it as the actor of the queueing.
        metadata = ((ACTING_ADMIN, acting_admin),)
        reply: orpc.EnqueueTaskResponse = await call(
            self._stub.EnqueueTask, request, metadata=metadata
        )
        return reply.task.id


def action_title(approval: approval_pb2.ActionApproval) -> str:
    what = approval.action_summary or approval.action_target
    title = f"Approved action {approval.action_type}" + (f": {what}" if what else "")
    return title if len(title) <= 200 else title[:199] + "…"


def action_prompt(approval: approval_pb2.ActionApproval) -> str:
    """What the action is; its arguments stay with the approval (they may be sensitive), the
    executor reads them by the approval id."""
    lines = [
        f"Execute the approved action {approval.id} once.",
        f"Action type: {approval.action_type}",
        f"Target: {approval.action_target or '-'}",
        f"Summary: {approval.action_summary or '-'}",
        f"Requested by {approval.requester_user_id} in {approval.connector}:"
        f"{approval.external_id}; approved by {approval.approver_user_id}.",
        "Arguments: see the approval (payload_json).",
    ]
    return "\n".join(lines)


class OrchestratorTurns:
    """The orchestrator's RunTurn, EnqueueTask and GetTask."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)

    async def run_turn(self, request: orpc.RunTurnRequest) -> orpc.RunTurnResponse:
        # A turn's wait is its own deadline; the channel's default would cut it short.
        timeout = request.wait_ms / 1000 + 30
        reply: orpc.RunTurnResponse = await call(self._stub.RunTurn, request, deadline_s=timeout)
        return reply

    async def enqueue(self, request: orpc.EnqueueTaskRequest) -> ores.Task:
        reply: orpc.EnqueueTaskResponse = await call(self._stub.EnqueueTask, request)
        return reply.task

    async def get_task(self, task_id: str) -> ores.Task:
        reply: orpc.GetTaskResponse = await call(
            self._stub.GetTask, orpc.GetTaskRequest(id=task_id)
        )
        return reply.task
