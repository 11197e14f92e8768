"""The store's typed client facades that several callers share (imported by their
`clients.py` users; the store itself never imports this module).

A facade lives here only when more than one service makes the same calls; one caller's facade
stays in that caller's `clients.py`. Each caller's `deps.py` declares, as a Protocol, only the
methods it uses. Calls go through `svckit.calls.call`: the channel's deadline, and the store's
errors back as the `svckit.errors` it raised."""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Callable, Mapping

import grpc

from agent_runtime.store.v1 import approval_pb2, component_pb2
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from svckit.calls import call

log = logging.getLogger("store.client")
# (name, state, message, error) of a heartbeat component; None: nothing to report now
ComponentState = tuple[str, str, str, str] | None


class StoreApprovals:
    """The store's ApprovalService: reads and decisions (gateway), queueing the task that
    executes an approved action and recording its execution (orchestrator)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ApprovalServiceStub(channel)

    async def get(self, approval_id: str) -> approval_pb2.ActionApproval:
        request = arpc.GetApprovalRequest(id=approval_id)
        reply: arpc.GetApprovalResponse = await call(self._stub.GetApproval, request)
        return reply.approval

    async def list(
        self, filters: Mapping[str, str], limit: int, page_token: str
    ) -> tuple[builtins.list[approval_pb2.ActionApproval], str]:
        """One page, oldest first, and the next page's token; status "" means every status."""
        request = arpc.ListApprovalsRequest(**filters, limit=limit, page_token=page_token)
        reply: arpc.ListApprovalsResponse = await call(self._stub.ListApprovals, request)
        return list(reply.items), reply.next_page_token

    async def decide(
        self, approval_id: str, approve: bool, approver: str, reason: str
    ) -> approval_pb2.ActionApproval:
        request = arpc.DecideApprovalRequest(
            id=approval_id, approve=approve, approver_user_id=approver, reason=reason
        )
        reply: arpc.DecideApprovalResponse = await call(self._stub.DecideApproval, request)
        return reply.approval

    async def queue(
        self, approval_id: str, task_id: str, actor: str
    ) -> approval_pb2.ActionApproval:
        """Mark the approval queued with its executing task (once; the same task again is a
        no-op)."""
        request = arpc.QueueExecutionRequest(id=approval_id, task_id=task_id, actor=actor)
        reply: arpc.QueueExecutionResponse = await call(self._stub.QueueExecution, request)
        return reply.approval

    async def record(
        self, approval_id: str, status: str, message: str, plugin: str
    ) -> approval_pb2.ActionApproval:
        """Record that the action is running (before its effect) or its outcome (after)."""
        request = arpc.RecordExecutionRequest(
            id=approval_id, execution_status=status, execution_message=message,
            executor_plugin=plugin,
        )  # fmt: skip
        reply: arpc.RecordExecutionResponse = await call(self._stub.RecordExecution, request)
        return reply.approval


class StoreComponents:
    """The store's ComponentService: a process reports its heartbeat components
    (REFERENCE.md §10) so that every gateway replica shows the same (orchestrator: `runtime`,
    scheduler: `scheduler`)."""

    def __init__(self, channel: grpc.aio.Channel, reporter: str) -> None:
        self._stub, self._reporter = ComponentServiceStub(channel), reporter

    async def report(
        self, name: str, state: str, message: str, error: str = "", stale_after_ms: int = 0
    ) -> None:
        component = component_pb2.Component(
            name=name, state=state, message=message, error=error,
            stale_after_ms=stale_after_ms, reporter=self._reporter,
        )  # fmt: skip
        request = crpc.ReportComponentsRequest(components=[component])
        await call(self._stub.ReportComponents, request)


async def keep_reporting(
    components: StoreComponents, state: Callable[[], ComponentState], interval_s: float
) -> None:
    """Until cancelled: report `state()` every `interval_s`, promising the next report
    within three intervals (later, the component reads stale). A failed report is logged."""
    stale_ms = int(interval_s * 3000)
    while True:
        now = state()
        if now is not None:
            try:
                await components.report(*now, stale_after_ms=stale_ms)
            except Exception as exc:
                log.warning("heartbeat report failed: %s", exc)
        await asyncio.sleep(interval_s)
