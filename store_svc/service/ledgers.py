"""JournalService, DeliveryService, LeaseService, AuditService: thin proto ↔ domain glue."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from agent_runtime.store.v1 import (
    audit_pb2,
    delivery_pb2,
    identity_pb2,
    journal_pb2,
    lease_pb2,
    workspace_pb2,
)
from agent_runtime.store.v1 import audit_service_pb2 as arpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import lease_service_pb2 as lrpc
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceServicer
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceServicer
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceServicer
from agent_runtime.store.v1.lease_service_pb2_grpc import LeaseServiceServicer
from store_svc.audit import Audit
from store_svc.convert import fields_of, to_msg
from store_svc.db import Row
from store_svc.deliveries import Deliveries
from store_svc.delivery_claims import DeliveryClaims
from store_svc.inbound import Begun, Inbound
from store_svc.journal import Journal
from store_svc.leases import Leases
from store_svc.turn_replies import TurnReplies
from svckit.batches import batch_results, each
from svckit.callctx import audit_actor
from svckit.errors import DomainError

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]  # unary RPCs: no messages go through it


class JournalService(JournalServiceServicer):
    def __init__(self, journal: Journal, inbound: Inbound) -> None:
        self._j, self._inbound = journal, inbound

    async def BeginInbound(
        self, request: jrpc.BeginInboundRequest, context: Ctx
    ) -> jrpc.BeginInboundResponse:
        begun = await self._inbound.begin(*_begin_args(request))
        return _begun_msg(begun)

    async def BeginInbounds(
        self, request: jrpc.BeginInboundsRequest, context: Ctx
    ) -> jrpc.BeginInboundsResponse:
        results = await self._inbound.begin_many([_begin_args(m) for m in request.messages])
        return jrpc.BeginInboundsResponse(
            results=batch_results(
                jrpc.BeginInboundsResult,
                results,
                lambda r: jrpc.BeginInboundsResult(begun=_begun_msg(r)),
            )
        )

    async def CompleteInbounds(
        self, request: jrpc.CompleteInboundsRequest, context: Ctx
    ) -> jrpc.CompleteInboundsResponse:
        items = [(e.id, e.status, e.outcome) for e in request.entries]
        results = await self._inbound.complete_many(items)
        return jrpc.CompleteInboundsResponse(
            results=batch_results(
                jrpc.CompleteInboundsResult,
                results,
                lambda r: jrpc.CompleteInboundsResult(entry=to_msg(journal_pb2.InboundEntry, r)),
            )
        )

    async def RecordInbound(
        self, request: jrpc.RecordInboundRequest, context: Ctx
    ) -> jrpc.RecordInboundResponse:
        row, dup = await self._j.record(fields_of(request))
        return jrpc.RecordInboundResponse(
            entry=to_msg(journal_pb2.InboundEntry, row), duplicate=dup
        )

    async def CompleteInbound(
        self, request: jrpc.CompleteInboundRequest, context: Ctx
    ) -> jrpc.CompleteInboundResponse:
        row = await self._j.complete(request.id, request.status, request.outcome)
        return jrpc.CompleteInboundResponse(entry=to_msg(journal_pb2.InboundEntry, row))

    async def CheckImapIngested(
        self, request: jrpc.CheckImapIngestedRequest, context: Ctx
    ) -> jrpc.CheckImapIngestedResponse:
        done = await self._j.imap_ingested(request.account_key, request.uid, request.message_id)
        return jrpc.CheckImapIngestedResponse(ingested=done)

    async def MarkImapIngested(
        self, request: jrpc.MarkImapIngestedRequest, context: Ctx
    ) -> jrpc.MarkImapIngestedResponse:
        return jrpc.MarkImapIngestedResponse(created=await self._j.mark_imap(fields_of(request)))

    async def FindImapIngestion(
        self, request: jrpc.FindImapIngestionRequest, context: Ctx
    ) -> jrpc.FindImapIngestionResponse:
        row = await self._j.find_imap(request.mailbox_key, request.message_id)
        if row is None:
            return jrpc.FindImapIngestionResponse()
        return jrpc.FindImapIngestionResponse(ingestion=to_msg(journal_pb2.ImapIngestion, row))


def delivery_msg(row: Row, *, route: bool = False) -> delivery_pb2.Delivery:
    """A delivery row (with its `parts`) as the message; its reply_route (which can hold an
    interaction token) only with `route`, for the connectors' own calls."""
    msg = to_msg(delivery_pb2.Delivery, row if route else {**row, "reply_route": None})
    for part in row.get("parts", ()):
        msg.parts.append(to_msg(delivery_pb2.DeliveryPart, {**part, "index": part["part_index"]}))
    return msg


def _begin_args(request: jrpc.BeginInboundRequest) -> tuple[dict[str, Any], str, bool]:
    return fields_of(request), request.display_name, request.resolve_sender


def _begun_msg(begun: Begun) -> jrpc.BeginInboundResponse:
    reply = jrpc.BeginInboundResponse(
        entry=to_msg(journal_pb2.InboundEntry, begun.entry),
        duplicate=begun.duplicate,
        role=begun.role,
    )
    if begun.context is not None:
        reply.context.CopyFrom(to_msg(workspace_pb2.Context, begun.context))
    if begun.identity is not None:
        reply.identity.CopyFrom(to_msg(identity_pb2.Identity, begun.identity))
    return reply


class DeliveryService(DeliveryServiceServicer):
    def __init__(
        self, deliveries: Deliveries, turn_replies: TurnReplies, claims: DeliveryClaims
    ) -> None:
        self._d, self._turns, self._claims = deliveries, turn_replies, claims

    async def ClaimDeliveries(
        self, request: drpc.ClaimDeliveriesRequest, context: Ctx
    ) -> drpc.ClaimDeliveriesResponse:
        rows = await self._claims.claim(
            list(request.connectors),
            request.owner,
            request.lease_ms,
            request.limit,
            request.wait_ms,
        )
        return drpc.ClaimDeliveriesResponse(items=[delivery_msg(r, route=True) for r in rows])

    async def RecordDeliveryPart(
        self, request: drpc.RecordDeliveryPartRequest, context: Ctx
    ) -> drpc.RecordDeliveryPartResponse:
        row = await self._claims.record_part(fields_of(request))
        return drpc.RecordDeliveryPartResponse(delivery=delivery_msg(row, route=True))

    async def RecordDeliveryParts(
        self, request: drpc.RecordDeliveryPartsRequest, context: Ctx
    ) -> drpc.RecordDeliveryPartsResponse:
        items = [fields_of(m) for m in request.parts]
        results = await each(self._claims.record_part, items, "parts")
        return drpc.RecordDeliveryPartsResponse(results=_delivery_results(results))

    async def DeliverTurnReply(
        self, request: drpc.DeliverTurnReplyRequest, context: Ctx
    ) -> drpc.DeliverTurnReplyResponse:
        recorded = await self._turns.deliver(request.task_id, request.connector, request.chat_id)
        return drpc.DeliverTurnReplyResponse(recorded=recorded)

    async def CreateDelivery(
        self, request: drpc.CreateDeliveryRequest, context: Ctx
    ) -> drpc.CreateDeliveryResponse:
        row = await self._d.create(fields_of(request))
        return drpc.CreateDeliveryResponse(delivery=delivery_msg(row, route=True))

    async def CreateDeliveries(
        self, request: drpc.CreateDeliveriesRequest, context: Ctx
    ) -> drpc.CreateDeliveriesResponse:
        items = [fields_of(m) for m in request.deliveries]
        results = await each(self._d.create, items, "deliveries")
        return drpc.CreateDeliveriesResponse(results=_delivery_results(results))

    async def GetDelivery(
        self, request: drpc.GetDeliveryRequest, context: Ctx
    ) -> drpc.GetDeliveryResponse:
        row = await self._d.get(request.id, request.idempotency_key)
        return drpc.GetDeliveryResponse(delivery=delivery_msg(row))

    async def UpdateDelivery(
        self, request: drpc.UpdateDeliveryRequest, context: Ctx
    ) -> drpc.UpdateDeliveryResponse:
        row = await self._d.update(fields_of(request))
        return drpc.UpdateDeliveryResponse(delivery=delivery_msg(row))

    async def ListDeliveries(
        self, request: drpc.ListDeliveriesRequest, context: Ctx
    ) -> drpc.ListDeliveriesResponse:
        rows = await self._d.list(request.status, request.connector, request.limit)
        return drpc.ListDeliveriesResponse(items=[delivery_msg(r) for r in rows], count=len(rows))


def _delivery_results(results: list[Row | DomainError]) -> list[drpc.DeliveryBatchResult]:
    """CreateDeliveries and RecordDeliveryParts (the connectors' batches) hand the route back
    as their single forms do."""
    return batch_results(
        drpc.DeliveryBatchResult,
        results,
        lambda r: drpc.DeliveryBatchResult(delivery=delivery_msg(r, route=True)),
    )


class LeaseService(LeaseServiceServicer):
    def __init__(self, leases: Leases) -> None:
        self._l = leases

    async def AcquireLease(
        self, request: lrpc.AcquireLeaseRequest, context: Ctx
    ) -> lrpc.AcquireLeaseResponse:
        row = await self._l.acquire(request.name, request.holder, request.ttl_ms)
        return lrpc.AcquireLeaseResponse(lease=to_msg(lease_pb2.LeaderLease, row))

    async def RenewLease(
        self, request: lrpc.RenewLeaseRequest, context: Ctx
    ) -> lrpc.RenewLeaseResponse:
        row = await self._l.renew(request.name, request.holder, request.ttl_ms)
        return lrpc.RenewLeaseResponse(lease=to_msg(lease_pb2.LeaderLease, row))

    async def ReleaseLease(
        self, request: lrpc.ReleaseLeaseRequest, context: Ctx
    ) -> lrpc.ReleaseLeaseResponse:
        return lrpc.ReleaseLeaseResponse(
            released=await self._l.release(request.name, request.holder)
        )

    async def GetLease(self, request: lrpc.GetLeaseRequest, context: Ctx) -> lrpc.GetLeaseResponse:
        row = await self._l.get(request.name)
        return lrpc.GetLeaseResponse(lease=to_msg(lease_pb2.LeaderLease, row))


class AuditService(AuditServiceServicer):
    def __init__(self, audit: Audit) -> None:
        self._a = audit

    async def AppendAuditEvent(
        self, request: arpc.AppendAuditEventRequest, context: Ctx
    ) -> arpc.AppendAuditEventResponse:
        # the event's actor is who verifiably called, whatever the request's actor says
        row = await self._a.append({**fields_of(request), "actor": audit_actor()})
        return arpc.AppendAuditEventResponse(event=to_msg(audit_pb2.AuditEvent, row))

    async def ListAuditEvents(
        self, request: arpc.ListAuditEventsRequest, context: Ctx
    ) -> arpc.ListAuditEventsResponse:
        rows, token = await self._a.list(fields_of(request), request.page_size, request.page_token)
        return arpc.ListAuditEventsResponse(
            items=[to_msg(audit_pb2.AuditEvent, r) for r in rows],
            count=len(rows),
            next_page_token=token,
        )

    async def CreateAgentAuditEvent(
        self, request: arpc.CreateAgentAuditEventRequest, context: Ctx
    ) -> arpc.CreateAgentAuditEventResponse:
        row = await self._a.create_agent_event(fields_of(request))
        return arpc.CreateAgentAuditEventResponse(event=to_msg(audit_pb2.AgentAuditEvent, row))

    async def ListAgentAuditEvents(
        self, request: arpc.ListAgentAuditEventsRequest, context: Ctx
    ) -> arpc.ListAgentAuditEventsResponse:
        rows = await self._a.list_agent_events(fields_of(request), request.limit)
        return arpc.ListAgentAuditEventsResponse(
            items=[to_msg(audit_pb2.AgentAuditEvent, r) for r in rows], count=len(rows)
        )
