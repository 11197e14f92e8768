"""Typed async facades over the services' stubs, as the stack's admin certificate.

Every unary call goes through `svckit.calls.call` (a deadline, the callee's error back as the
`svckit.errors` it raised). The TUI never calls a service from its UI code: its views run
these coroutines in Textual workers (admin_tui.widgets.View.rpc)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2

from admin_tui.backend_stubs import Stubs, open_stubs
from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as opb
from agent_runtime.scheduler.v1 import resources_pb2 as sres
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.store.v1 import delivery_pb2, workspace_pb2
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from runtime_cli.endpoints import StackEndpoints
from svckit.calls import call
from svckit.errors import DomainError

TIMEOUT_S = 8.0  # as the original TUI: every call has an 8 s deadline
ROLES = ("member", "viewer", "operator", "admin", "overlord")


@dataclass(frozen=True)
class Objective:
    """The fields of an objective the TUI creates or edits."""

    workspace_id: str
    context_id: str
    title: str
    prompt: str
    trigger_type: str = "schedule"
    cron_expr: str = ""
    event_key: str = ""
    timezone: str = "UTC"
    run_at_unix: int = 0  # the fire time of an `at` objective


class Backend:
    """The admin's view of the stack: one method per thing the TUI asks or does."""

    def __init__(self, stubs: Stubs) -> None:
        self._s = stubs

    @classmethod
    def open(cls, stack: StackEndpoints) -> Backend:
        return cls(open_stubs(stack, TIMEOUT_S))

    async def close(self) -> None:
        await self._s.close()

    # --- overview
    async def health(self) -> dict[str, str]:
        """Each service's grpc.health.v1 status (its probe port), or the error reaching it."""

        async def one(name: str) -> tuple[str, str]:
            try:
                reply = await call(
                    self._s.health[name].Check, health_pb2.HealthCheckRequest(), deadline_s=3.0
                )
            except DomainError as exc:
                return name, f"{exc.code}"
            return name, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

        pairs = await asyncio.gather(*(one(n) for n in sorted(self._s.health)))
        return dict(pairs)

    async def heartbeat(self) -> gpb.GetHeartbeatResponse:
        return await call(self._s.gateway.GetHeartbeat, gpb.GetHeartbeatRequest())

    async def queue_stats(self, workspace_id: str = "") -> opb.GetQueueStatsResponse:
        request = opb.GetQueueStatsRequest(workspace_id=workspace_id)
        return await call(self._s.orchestrator.GetQueueStats, request)

    async def workspaces(self) -> list[workspace_pb2.Workspace]:
        reply = await call(self._s.workspaces.ListWorkspaces, wrpc.ListWorkspacesRequest())
        return list(reply.items)

    async def contexts(self, workspace_id: str) -> list[workspace_pb2.Context]:
        request = wrpc.ListContextsRequest(workspace_id=workspace_id)
        return list((await call(self._s.workspaces.ListContexts, request)).items)

    # --- tasks
    async def tasks(self, workspace_id: str, status: str, kind: str) -> list[ores.Task]:
        request = opb.ListTasksRequest(
            workspace_id=workspace_id, status=status, kind=kind, limit=200
        )
        return list((await call(self._s.orchestrator.ListTasks, request)).items)

    async def task(self, task_id: str) -> ores.Task:
        request = opb.GetTaskRequest(id=task_id)
        return (await call(self._s.orchestrator.GetTask, request)).task

    async def retry_task(self, task_id: str) -> opb.RetryTaskResponse:
        request = opb.RetryTaskRequest(task_id=task_id)
        return await call(self._s.orchestrator.RetryTask, request)

    async def cancel_task(self, task_id: str, reason: str) -> ores.Task:
        request = opb.CancelTaskRequest(task_id=task_id, reason=reason)
        return (await call(self._s.orchestrator.CancelTask, request)).task

    async def watch_tasks(self, workspace_id: str) -> AsyncIterator[ores.TaskEvent]:
        """Task changes as they happen, after the unfinished tasks as they are (so nothing that
        changed before the stream opened is missed). A server stream: no deadline, so not
        `call`."""
        request = opb.WatchTasksRequest(workspace_id=workspace_id, include_existing=True)
        stream = self._s.orchestrator.WatchTasks(request)
        try:
            async for reply in stream:
                yield reply.event
        finally:
            stream.cancel()

    # --- approvals
    async def approvals(self, status: str) -> list[gres.Approval]:
        request = gpb.ListApprovalsRequest(status=status, limit=500)
        return list((await call(self._s.gateway.ListApprovals, request)).items)

    async def approve_action(self, approval_id: str) -> gpb.ApproveActionResponse:
        return await call(self._s.gateway.ApproveAction, gpb.ApproveActionRequest(id=approval_id))

    async def deny_action(self, approval_id: str, reason: str) -> gres.Approval:
        request = gpb.DenyActionRequest(id=approval_id, reason=reason)
        return (await call(self._s.gateway.DenyAction, request)).approval

    # --- objectives
    async def objectives(self, workspace_id: str) -> list[sres.Objective]:
        request = spb.ListObjectivesRequest(workspace_id=workspace_id, active_only=False, limit=500)
        return list((await call(self._s.scheduler.ListObjectives, request)).items)

    async def create_objective(self, o: Objective) -> sres.Objective:
        request = spb.CreateObjectiveRequest(
            workspace_id=o.workspace_id,
            context_id=o.context_id,
            title=o.title,
            prompt=o.prompt,
            trigger_type=o.trigger_type,
            cron_expr=o.cron_expr,
            event_key=o.event_key,
            timezone=o.timezone,
            run_at_unix=o.run_at_unix,
        )
        return (await call(self._s.scheduler.CreateObjective, request)).objective

    async def update_objective(self, objective_id: str, o: Objective) -> sres.Objective:
        request = spb.UpdateObjectiveRequest(
            id=objective_id,
            title=o.title,
            prompt=o.prompt,
            trigger_type=o.trigger_type,
            cron_expr=o.cron_expr,
            event_key=o.event_key,
            timezone=o.timezone,
        )
        if o.trigger_type == "at":
            request.run_at_unix = o.run_at_unix
        return (await call(self._s.scheduler.UpdateObjective, request)).objective

    async def set_objective_active(self, objective_id: str, active: bool) -> sres.Objective:
        request = spb.SetObjectiveActiveRequest(id=objective_id, active=active)
        return (await call(self._s.scheduler.SetObjectiveActive, request)).objective

    async def delete_objective(self, objective_id: str) -> bool:
        request = spb.DeleteObjectiveRequest(id=objective_id)
        return (await call(self._s.scheduler.DeleteObjective, request)).deleted

    async def run_objective_now(self, objective_id: str) -> spb.RunObjectiveNowResponse:
        request = spb.RunObjectiveNowRequest(id=objective_id)
        return await call(self._s.scheduler.RunObjectiveNow, request)

    # --- pairings
    async def pairings(self, status: str) -> list[gres.Pairing]:
        request = gpb.ListPairingsRequest(status=status, limit=200)
        return list((await call(self._s.gateway.ListPairings, request)).items)

    async def lookup_pairing(self, token: str) -> gres.Pairing:
        request = gpb.LookupPairingRequest(token=token)
        return (await call(self._s.gateway.LookupPairing, request)).pairing

    async def approve_pairing(self, token: str, role: str) -> gpb.ApprovePairingResponse:
        request = gpb.ApprovePairingRequest(token=token, role=role)
        return await call(self._s.gateway.ApprovePairing, request)

    async def deny_pairing(self, token: str, reason: str) -> gpb.DenyPairingResponse:
        request = gpb.DenyPairingRequest(token=token, reason=reason)
        return await call(self._s.gateway.DenyPairing, request)

    # --- identities
    async def identities(self, include_revoked: bool) -> list[gres.Identity]:
        request = gpb.ListIdentitiesRequest(include_revoked=include_revoked, limit=500)
        return list((await call(self._s.gateway.ListIdentities, request)).items)

    async def set_identity_role(self, identity_id: str, role: str) -> gres.Identity:
        request = gpb.SetIdentityRoleRequest(id=identity_id, role=role)
        return (await call(self._s.gateway.SetIdentityRole, request)).identity

    async def revoke_identity(self, identity_id: str, reason: str) -> gres.Identity:
        request = gpb.RevokeIdentityRequest(id=identity_id, reason=reason)
        return (await call(self._s.gateway.RevokeIdentity, request)).identity

    # --- dead letters and deliveries
    async def dead_letters(self, include_replayed: bool) -> list[ores.DeadLetter]:
        request = opb.ListDeadLettersRequest(include_replayed=include_replayed, limit=500)
        return list((await call(self._s.orchestrator.ListDeadLetters, request)).items)

    async def replay_dead_letter(self, dead_letter_id: str) -> opb.ReplayDeadLetterResponse:
        request = opb.ReplayDeadLetterRequest(id=dead_letter_id)
        return await call(self._s.orchestrator.ReplayDeadLetter, request)

    async def deliveries(self, status: str) -> list[delivery_pb2.Delivery]:
        request = drpc.ListDeliveriesRequest(status=status, limit=500)
        return list((await call(self._s.deliveries.ListDeliveries, request)).items)


def is_unreachable(exc: BaseException) -> bool:
    """True when the error means the stack (or the service asked) is not answering."""
    if isinstance(exc, DomainError):
        return exc.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
    return isinstance(exc, grpc.aio.AioRpcError | OSError)
