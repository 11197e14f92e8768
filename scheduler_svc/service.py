"""The SchedulerService servicer: one thin async method per RPC (proto -> domain -> proto).

Objective CRUD is a typed layer over the store's ObjectiveService, which validates (cron,
`@every`, `at`, events, IANA timezones), plans next runs and keeps statistics and run
history; scheduler_svc.objectives maps its records into the original's objective map.
RunObjectiveNow and NotifyEvent fire through scheduler_svc.firing, as the firing loop does;
a change of an objective wakes the loop so a new fire time is seen at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_runtime.scheduler.v1 import service_pb2, service_pb2_grpc
from scheduler_svc import convert, events, objectives, runs
from scheduler_svc.deps import Deps
from scheduler_svc.firing import Firer
from svckit import callctx


def _actor() -> str:
    """Who the store's audit log names: the admin behind the call, else the chat user the
    gateway speaks for, else the calling service."""
    ctx = callctx.current()
    return callctx.acting_admin() or ctx.end_user or str(ctx.caller)


class SchedulerServicer(service_pb2_grpc.SchedulerServiceServicer):
    """Serves agent_runtime.scheduler.v1.SchedulerService."""

    def __init__(self, deps: Deps, firer: Firer, wake: Callable[[], None]) -> None:
        self._store, self._clock = deps.objectives, deps.clock
        self._firer, self._wake = firer, wake

    async def CreateObjective(
        self, request: service_pb2.CreateObjectiveRequest, context: Any
    ) -> service_pb2.CreateObjectiveResponse:
        created = await self._store.create(convert.create_request(request, _actor()))
        self._wake()
        return service_pb2.CreateObjectiveResponse(objective=convert.objective(created))

    async def GetObjective(
        self, request: service_pb2.GetObjectiveRequest, context: Any
    ) -> service_pb2.GetObjectiveResponse:
        found = await self._store.get(request.id)
        return service_pb2.GetObjectiveResponse(objective=convert.objective(found))

    async def ListObjectives(
        self, request: service_pb2.ListObjectivesRequest, context: Any
    ) -> service_pb2.ListObjectivesResponse:
        active_only = request.active_only if request.HasField("active_only") else None
        rows, token = await objectives.list_page(
            self._store, request.workspace_id, active_only, request.limit, request.page_token
        )
        items = [convert.objective(o) for o in rows]
        return service_pb2.ListObjectivesResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def UpdateObjective(
        self, request: service_pb2.UpdateObjectiveRequest, context: Any
    ) -> service_pb2.UpdateObjectiveResponse:
        if request.HasField("active"):
            callctx.require_admin()  # pausing or resuming is an admin's decision (SPEC.md)
        updated = await self._store.update(convert.update_request(request, _actor()))
        self._wake()
        return service_pb2.UpdateObjectiveResponse(objective=convert.objective(updated))

    async def SetObjectiveActive(
        self, request: service_pb2.SetObjectiveActiveRequest, context: Any
    ) -> service_pb2.SetObjectiveActiveResponse:
        admin = callctx.require_admin()
        change = service_pb2.UpdateObjectiveRequest(id=request.id, active=request.active)
        updated = await self._store.update(convert.update_request(change, admin))
        self._wake()
        return service_pb2.SetObjectiveActiveResponse(objective=convert.objective(updated))

    async def DeleteObjective(
        self, request: service_pb2.DeleteObjectiveRequest, context: Any
    ) -> service_pb2.DeleteObjectiveResponse:
        admin = callctx.require_admin()
        deleted = await self._store.delete(request.id, admin)
        return service_pb2.DeleteObjectiveResponse(id=deleted, deleted=True)

    async def RunObjectiveNow(
        self, request: service_pb2.RunObjectiveNowRequest, context: Any
    ) -> service_pb2.RunObjectiveNowResponse:
        callctx.require_admin()  # firing outside the schedule is an admin's decision
        now_ms = int(self._clock() * 1000)
        fired = await self._firer.run_now(request.id, now_ms, request.idempotency_key)
        return service_pb2.RunObjectiveNowResponse(run=convert.run(fired.run))

    async def ListObjectiveRuns(
        self, request: service_pb2.ListObjectiveRunsRequest, context: Any
    ) -> service_pb2.ListObjectiveRunsResponse:
        rows, token = await runs.runs_page(
            self._store, request.id, request.status, request.limit, request.page_token
        )
        items = [convert.run(r) for r in rows]
        return service_pb2.ListObjectiveRunsResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def NotifyEvent(
        self, request: service_pb2.NotifyEventRequest, context: Any
    ) -> service_pb2.NotifyEventResponse:
        event_id, fired = await events.notify(self._store, self._firer, request, int(self._clock()))
        return service_pb2.NotifyEventResponse(
            event_id=event_id, runs=[convert.run(f.run) for f in fired]
        )
