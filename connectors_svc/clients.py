"""Typed async facades over the store's and the gateway's stubs (the connectors as a caller),
each call through `svckit.calls.call`."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from agent_runtime.gateway.v1 import service_pb2 as gw
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from agent_runtime.store.v1 import component_pb2, delivery_pb2
from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1 import cursor_service_pb2 as cursor_rpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import lease_service_pb2 as lrpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from agent_runtime.store.v1.cursor_service_pb2_grpc import CursorServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.lease_service_pb2_grpc import LeaseServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from connectors_svc.adapters.base import Command, InboundMessage
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.mail_ports import ContextRef, Ingestion, NewTask, ReplyTarget
from connectors_svc.deps import (
    ComponentReport,
    Delivery,
    HandleOutcome,
    NewDelivery,
    PartStep,
    SentPart,
)
from svckit import errors
from svckit.batches import refusal
from svckit.calls import call
from svckit.coalesce import Coalescer

DELIVERY = "/agent_runtime.store.v1.DeliveryService/"
LEASE = "/agent_runtime.store.v1.LeaseService/"
COMPONENTS = "/agent_runtime.store.v1.ComponentService/"
CURSORS = "/agent_runtime.store.v1.CursorService/"
# Reads and lease renewals are safe to retry on UNAVAILABLE; a claim or a part record is not
# (a claim could lease rows nobody then sends, until the lease runs out).
STORE_RETRY_METHODS = (
    DELIVERY + "GetDelivery",
    LEASE + "AcquireLease",
    LEASE + "RenewLease",
    COMPONENTS + "ReportComponents",
    # reading a cursor and putting the same value again are both idempotent
    CURSORS + "GetCursor",
    CURSORS + "PutCursor",
)
GATEWAY_RETRY_METHODS = ("/agent_runtime.gateway.v1.GatewayService/ListCommands",)
REFUSED = "the store refused the connectors"
MAX_LEDGER_BATCH = 100  # the store's CreateDeliveries / RecordDeliveryParts cap
# Ledger calls out at once, each kind: more replies wait for one to come back and share the
# next (a reply alone goes at once).
LEDGER_IN_FLIGHT = 1
GW_REFUSED = "the gateway refused the connectors"


def _delivery(m: delivery_pb2.Delivery) -> Delivery:
    return Delivery(
        id=m.id,
        idempotency_key=m.idempotency_key,
        connector=m.connector,
        chat_id=m.chat_id,
        text=m.text,
        status=m.status,
        attempts=m.attempts,
        last_error=m.last_error,
        reply_to_message_id=m.reply_to_message_id,
        subject=m.subject,
        workspace_id=m.workspace_id,
        context_id=m.context_id,
        parts=tuple(SentPart(p.index, p.text, p.status, p.platform_message_id) for p in m.parts),
        reply_route=m.reply_route,
    )


class StoreLedger:
    """The store's DeliveryService as the connectors use it. The deliveries created (and the
    parts recorded) together go in one CreateDeliveries (RecordDeliveryParts) call: under load
    one round trip serves many replies, and each still gets its own answer or its own error."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DeliveryServiceStub(channel)
        self._creates: Coalescer[drpc.CreateDeliveryRequest, delivery_pb2.Delivery] = Coalescer(
            self._create_batch, MAX_LEDGER_BATCH, LEDGER_IN_FLIGHT
        )
        self._records: Coalescer[drpc.RecordDeliveryPartRequest, delivery_pb2.Delivery] = Coalescer(
            self._record_batch, MAX_LEDGER_BATCH, LEDGER_IN_FLIGHT
        )

    async def create(
        self, new: NewDelivery, lease_owner: str, lease_ms: int, sending_text: str = ""
    ) -> Delivery | None:
        request = drpc.CreateDeliveryRequest(
            idempotency_key=new.idempotency_key,
            connector=new.connector,
            chat_id=new.chat_id,
            text=new.text,
            workspace_id=new.workspace_id,
            context_id=new.context_id,
            reply_to_message_id=new.reply_to_message_id,
            subject=new.subject,
            lease_owner=lease_owner,
            lease_ms=lease_ms,
            sending_text=sending_text,
            reply_route=new.reply_route,
        )
        try:
            return _delivery(await self._creates.submit(request))
        except errors.AlreadyExists:
            return None

    async def get_by_key(self, key: str) -> Delivery:
        request = drpc.GetDeliveryRequest(idempotency_key=key)
        reply: drpc.GetDeliveryResponse = await call(
            self._stub.GetDelivery, request, refused=REFUSED
        )
        return _delivery(reply.delivery)

    async def claim(
        self, connectors: Sequence[str], owner: str, lease_ms: int, limit: int, wait_ms: int
    ) -> list[Delivery]:
        request = drpc.ClaimDeliveriesRequest(
            connectors=list(connectors), owner=owner, lease_ms=lease_ms, limit=limit,
            wait_ms=wait_ms,
        )  # fmt: skip
        reply: drpc.ClaimDeliveriesResponse = await call(
            self._stub.ClaimDeliveries, request, deadline_s=wait_ms / 1000 + 10, refused=REFUSED
        )
        return [_delivery(m) for m in reply.items]

    async def record(self, delivery_id: str, owner: str, step: PartStep, lease_ms: int) -> Delivery:
        request = drpc.RecordDeliveryPartRequest(
            id=delivery_id,
            owner=owner,
            index=step.index,
            count=step.count,
            status=step.status,
            text=step.text,
            platform_message_id=step.platform_message_id,
            last_error=step.error,
            retry_after_ms=step.retry_after_ms,
            lease_ms=lease_ms,
        )
        return _delivery(await self._records.submit(request))

    async def _create_batch(
        self, items: list[drpc.CreateDeliveryRequest]
    ) -> list[delivery_pb2.Delivery | errors.DomainError]:
        request = drpc.CreateDeliveriesRequest(deliveries=items)
        reply: drpc.CreateDeliveriesResponse = await call(
            self._stub.CreateDeliveries, request, refused=REFUSED
        )
        return [_outcome(r) for r in reply.results]

    async def _record_batch(
        self, items: list[drpc.RecordDeliveryPartRequest]
    ) -> list[delivery_pb2.Delivery | errors.DomainError]:
        request = drpc.RecordDeliveryPartsRequest(parts=items)
        reply: drpc.RecordDeliveryPartsResponse = await call(
            self._stub.RecordDeliveryParts, request, refused=REFUSED
        )
        return [_outcome(r) for r in reply.results]


def _outcome(result: drpc.DeliveryBatchResult) -> delivery_pb2.Delivery | errors.DomainError:
    return refusal(result) if result.code else result.delivery


class StoreLeases:
    """The store's LeaseService: leader leases by name."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = LeaseServiceStub(channel)

    async def acquire(self, name: str, holder: str, ttl_ms: int) -> int:
        request = lrpc.AcquireLeaseRequest(name=name, holder=holder, ttl_ms=ttl_ms)
        reply: lrpc.AcquireLeaseResponse = await call(
            self._stub.AcquireLease, request, refused=REFUSED
        )
        return reply.lease.token

    async def renew(self, name: str, holder: str, ttl_ms: int) -> int:
        request = lrpc.RenewLeaseRequest(name=name, holder=holder, ttl_ms=ttl_ms)
        reply: lrpc.RenewLeaseResponse = await call(self._stub.RenewLease, request, refused=REFUSED)
        return reply.lease.token

    async def release(self, name: str, holder: str) -> None:
        request = lrpc.ReleaseLeaseRequest(name=name, holder=holder)
        await call(self._stub.ReleaseLease, request, refused=REFUSED)


class StoreComponents:
    """The store's ComponentService: this process's heartbeat components."""

    def __init__(self, channel: grpc.aio.Channel, reporter: str) -> None:
        self._stub, self._reporter = ComponentServiceStub(channel), reporter

    async def report(self, components: Sequence[ComponentReport]) -> None:
        request = crpc.ReportComponentsRequest(
            components=[
                component_pb2.Component(
                    name=c.name, state=c.state, message=c.message, error=c.error,
                    stale_after_ms=c.stale_after_ms, reporter=self._reporter, extra=dict(c.extra),
                )
                for c in components
            ]
        )  # fmt: skip
        await call(self._stub.ReportComponents, request, refused=REFUSED)


class StoreCursors:
    """The store's CursorService (`connectors_svc.adapters.cursors.Cursors`): where a polling
    adapter keeps the position it acknowledged."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = CursorServiceStub(channel)

    async def get(self, name: str) -> str:
        reply: cursor_rpc.GetCursorResponse = await call(
            self._stub.GetCursor, cursor_rpc.GetCursorRequest(name=name), refused=REFUSED
        )
        return reply.value

    async def put(
        self, name: str, value: str, fence: Fence | None = None, sequence: int | None = None
    ) -> None:
        request = cursor_rpc.PutCursorRequest(name=name, value=value, sequence=sequence)
        if fence is not None:
            request.fence.CopyFrom(
                cursor_rpc.CursorFence(name=fence.name, holder=fence.holder, token=fence.token)
            )
        await call(self._stub.PutCursor, request, refused=REFUSED)


class GatewayClient:
    """The gateway's HandleMessage and ListCommands."""

    def __init__(self, channel: grpc.aio.Channel, handle_deadline_s: float) -> None:
        self._stub, self._deadline = GatewayServiceStub(channel), handle_deadline_s

    async def handle(self, m: InboundMessage) -> HandleOutcome:
        request = gw.HandleMessageRequest(
            connector=m.connector, external_id=m.external_id, display_name=m.display_name,
            from_user_id=m.from_user_id, text=m.text, message_id=m.message_id,
            direct_message=m.direct_message, mentioned=m.mentioned,
            from_display_name=m.from_display_name,
        )  # fmt: skip
        reply: gw.HandleMessageResponse = await call(
            self._stub.HandleMessage, request, deadline_s=self._deadline, refused=GW_REFUSED
        )
        return HandleOutcome(reply.reply, reply.duplicate)

    async def commands(self) -> Sequence[Command]:
        reply: gw.ListCommandsResponse = await call(
            self._stub.ListCommands, gw.ListCommandsRequest(), refused=GW_REFUSED
        )
        return [Command(c.name, c.description, c.argument) for c in reply.commands]


class StoreMail:
    """The store calls of the e-mail adapters: the mailbox's context, the IMAP ingestion
    marks, the review task of each e-mail, and the e-mail a reply answers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._journal = JournalServiceStub(channel)
        self._tasks = TaskServiceStub(channel)
        self._workspaces = WorkspaceServiceStub(channel)

    async def ensure_context(
        self, connector: str, external_id: str, display_name: str
    ) -> ContextRef:
        request = wrpc.EnsureContextRequest(
            connector=connector, external_id=external_id, display_name=display_name
        )
        reply: wrpc.EnsureContextResponse = await call(
            self._workspaces.EnsureContext, request, refused=REFUSED
        )
        return ContextRef(reply.context.workspace_id, reply.context.id)

    async def ingested(self, account_key: str, uid: int, message_id: str) -> bool:
        request = jrpc.CheckImapIngestedRequest(
            account_key=account_key, uid=uid, message_id=message_id
        )
        reply: jrpc.CheckImapIngestedResponse = await call(
            self._journal.CheckImapIngested, request, refused=REFUSED
        )
        return reply.ingested

    async def mark_ingested(self, ingestion: Ingestion) -> None:
        request = jrpc.MarkImapIngestedRequest(
            account_key=ingestion.account_key,
            uid=ingestion.uid,
            message_id=ingestion.message_id,
            workspace_id=ingestion.workspace_id,
            context_id=ingestion.context_id,
            file_path=ingestion.file_path,
            mailbox_key=ingestion.mailbox_key,
            reply_address=ingestion.reply_address,
            subject=ingestion.subject,
        )
        await call(self._journal.MarkImapIngested, request, refused=REFUSED)

    async def create_task(self, task: NewTask) -> str:
        request = trpc.CreateTaskRequest(
            workspace_id=task.workspace_id,
            context_id=task.context_id,
            kind="general",
            title=task.title,
            prompt=task.prompt,
            run_key=task.run_key,
        )
        try:
            reply: trpc.CreateTaskResponse = await call(
                self._tasks.CreateTask, request, refused=REFUSED
            )
        except errors.AlreadyExists as exc:  # created before a crash: the same task
            if not exc.existing_id:
                raise
            return exc.existing_id
        return reply.task.id

    async def reply_target(self, mailbox_key: str, message_id: str) -> ReplyTarget | None:
        request = jrpc.FindImapIngestionRequest(mailbox_key=mailbox_key, message_id=message_id)
        reply: jrpc.FindImapIngestionResponse = await call(
            self._journal.FindImapIngestion, request, refused=REFUSED
        )
        if not reply.HasField("ingestion") or not reply.ingestion.reply_address:
            return None
        found = reply.ingestion
        return ReplyTarget(found.reply_address, found.subject, found.message_id)
