"""The scheduler as seen by qmd: one call, NotifyEvent, behind the `EventSink` protocol."""

from __future__ import annotations

import logging

import grpc

from agent_runtime.scheduler.v1 import service_pb2 as scheduler_pb2
from agent_runtime.scheduler.v1 import service_pb2_grpc as scheduler_grpc
from qmd_svc.events import PermanentFailure
from svckit import errors
from svckit.calls import call

log = logging.getLogger("qmd_svc.clients")


class SchedulerEvents:
    """Reports `markdown.updated` to scheduler_svc, which fires each matching event objective
    once per path and 30-second change bucket (so a retried report fires nothing twice). A
    scheduler answering UNIMPLEMENTED (an older one) gets the event logged instead, not
    retried."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0) -> None:
        self._stub = scheduler_grpc.SchedulerServiceStub(channel)
        self._timeout = timeout

    async def notify(self, workspace_id: str, event_key: str, path: str) -> None:
        request = scheduler_pb2.NotifyEventRequest(
            workspace_id=workspace_id, event_key=event_key, path=path
        )
        try:
            await call(self._stub.NotifyEvent, request, deadline_s=self._timeout)
        except errors.DomainError as exc:
            if exc.code == "UNIMPLEMENTED":
                log.info(
                    "event (scheduler has no NotifyEvent yet)",
                    extra={"event": event_key, "workspace_id": workspace_id, "path": path},
                )
                raise PermanentFailure("scheduler answered UNIMPLEMENTED") from exc
            if exc.code in ("INVALID_ARGUMENT", "PERMISSION_DENIED"):
                raise PermanentFailure(f"scheduler refused: {exc.code}") from exc
            raise
