"""The `InboundSink` each running adapter gets: a received message goes to the gateway's
HandleMessage (journaled there, so a redelivered message runs nothing twice) and a non-empty
reply is put in the ledger under `reply:<connector>:<chat>:<message id>`, so a redelivery
never sends a second reply; the message counts as handled once its reply is recorded, and
the reply is sent at once in the background (`sending.Background`, each chat in order).
Markdown files sent with a message are saved in its workspace first (`attachments.py`) and
the reply tells where."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from connectors_svc.adapters.base import AdapterState, Command, InboundMessage
from connectors_svc.adapters.cursors import Fence
from connectors_svc.attachments import Attachments
from connectors_svc.deps import Gateway, NewDelivery
from connectors_svc.publish import Published, Publisher
from connectors_svc.sending import Background
from connectors_svc.status import Board
from svckit.errors import Unavailable

log = logging.getLogger("connectors.sink")


def reply_key(message: InboundMessage) -> str:
    return f"reply:{message.connector}:{message.external_id}:{message.message_id}"


class Sink:
    def __init__(
        self,
        name: str,
        gateway: Gateway | None,
        publisher: Publisher,
        board: Board,
        sends: Background,
        attachments: Attachments | None = None,
        fence: Callable[[], Fence | None] = lambda: None,
    ) -> None:
        self._name, self._gateway = name, gateway
        self._publisher, self._board, self._sends = publisher, board, sends
        self._attachments, self._fence = attachments, fence

    async def handle(self, message: InboundMessage) -> str:
        if self._gateway is None:
            raise Unavailable("no gateway is configured")
        saved = ""
        if message.attachments and self._attachments is not None:
            saved = await self._attachments.save(message)  # before the turn that may read it
        reply = ""
        if message.text.strip():
            outcome = await self._gateway.handle(message)  # raises: the adapter must not ack
            reply = outcome.reply.strip()
        self._board.inbound(self._name)
        reply = "\n\n".join(p for p in (reply, saved) if p)
        if reply:
            new = NewDelivery(
                idempotency_key=reply_key(message),
                connector=message.connector or self._name,
                chat_id=message.external_id,
                text=reply,
                reply_to_message_id=message.message_id,
                reply_route=message.reply_route,
            )
            # recorded before it returns (else it raises, and the redelivered message
            # gets its journaled reply recorded then); sent at once, or retried from the ledger
            recorded = await self._publisher.record(new)
            if not isinstance(recorded, Published):
                self._sends.run(f"{new.connector}:{new.chat_id}", recorded)
        return reply

    async def commands(self) -> Sequence[Command]:
        if self._gateway is None:
            raise Unavailable("no gateway is configured")
        return await self._gateway.commands()

    def beat(self, state: AdapterState) -> None:
        self._board.beat(self._name, state)

    def fence(self) -> Fence | None:
        return self._fence()
