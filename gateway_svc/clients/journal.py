"""The store's inbound journal, whose calls go out in batches (`svckit.coalesce`)."""

from __future__ import annotations

import grpc

from agent_runtime.store.v1 import journal_pb2
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from gateway_svc.deps import InboundMessage
from svckit.batches import refusal
from svckit.calls import call
from svckit.coalesce import Coalescer
from svckit.errors import DomainError

MAX_JOURNAL_BATCH = 100  # the store's BeginInbounds / CompleteInbounds cap
# Journal calls out at once, each kind: more messages wait for one to come back and share the
# next (a message alone goes at once).
JOURNAL_IN_FLIGHT = 1


class StoreJournal:
    """The store's inbound journal. The messages begun (and the outcomes stored) together go
    to the store in one BeginInbounds (CompleteInbounds) call: under load one round trip
    serves many messages, and each still gets its own answer or its own error."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = JournalServiceStub(channel)
        self._begins: Coalescer[jrpc.BeginInboundRequest, jrpc.BeginInboundResponse] = Coalescer(
            self._begin_batch, MAX_JOURNAL_BATCH, JOURNAL_IN_FLIGHT
        )
        self._completes: Coalescer[jrpc.CompleteInboundRequest, journal_pb2.InboundEntry] = (
            Coalescer(self._complete_batch, MAX_JOURNAL_BATCH, JOURNAL_IN_FLIGHT)
        )

    async def begin(
        self, msg: InboundMessage, message_id: str, resolve_sender: bool
    ) -> jrpc.BeginInboundResponse:
        request = jrpc.BeginInboundRequest(
            connector=msg.connector,
            chat_id=msg.external_id,
            platform_message_id=message_id,
            sender_id=msg.from_user_id,
            text=msg.text,
            display_name=msg.display_name,
            resolve_sender=resolve_sender,
        )
        return await self._begins.submit(request)

    async def complete(self, entry_id: str, status: str, outcome: str) -> None:
        request = jrpc.CompleteInboundRequest(id=entry_id, status=status, outcome=outcome)
        await self._completes.submit(request)

    async def _begin_batch(
        self, items: list[jrpc.BeginInboundRequest]
    ) -> list[jrpc.BeginInboundResponse | DomainError]:
        request = jrpc.BeginInboundsRequest(messages=items)
        reply: jrpc.BeginInboundsResponse = await call(self._stub.BeginInbounds, request)
        return [r.begun if not r.code else refusal(r) for r in reply.results]

    async def _complete_batch(
        self, items: list[jrpc.CompleteInboundRequest]
    ) -> list[journal_pb2.InboundEntry | DomainError]:
        request = jrpc.CompleteInboundsRequest(entries=items)
        reply: jrpc.CompleteInboundsResponse = await call(self._stub.CompleteInbounds, request)
        return [r.entry if not r.code else refusal(r) for r in reply.results]
