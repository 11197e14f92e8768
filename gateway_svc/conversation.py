"""A conversation message is an agent turn (the orchestrator's RunTurn), awaited up to the
turn wait; a turn still running then is answered "still working", and the store is asked to
deliver its reply to the chat (DeliverTurnReply): the transaction that finishes the turn
writes it to the delivery ledger (the outbox the connectors send from) under
`turn:<task id>`, so it survives a gateway restart and is recorded once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from gateway_svc.deps import Outbox, Turns

log = logging.getLogger(__name__)

STILL_WORKING = "Still working on it; I'll send the answer here when it is ready."


@dataclass(frozen=True)
class TurnResult:
    reply: str
    task_id: str
    pending: bool


def reply_of(answer: orpc.RunTurnResponse) -> str:
    if answer.reply.strip():
        return answer.reply.strip()
    if answer.status == "succeeded":
        return "(no reply)"
    return f"I could not finish that turn: {answer.error_message or answer.status}"


class Conversation:
    """Runs turns and hands the ones that outlive the wait to the store's outbox."""

    def __init__(self, turns: Turns, outbox: Outbox | None, wait_ms: int) -> None:
        self._turns, self._outbox, self._wait_ms = turns, outbox, wait_ms

    async def turn(self, request: orpc.RunTurnRequest) -> TurnResult:
        request.wait_ms = self._wait_ms
        return await self._answer(request)

    async def peek(self, request: orpc.RunTurnRequest) -> TurnResult:
        """The same turn (same run_key) as it is now; runs nothing new. A turn still running
        is handed to the outbox again (a no-op if it already was)."""
        request.wait_ms = 0
        return await self._answer(request)

    async def _answer(self, request: orpc.RunTurnRequest) -> TurnResult:
        answer = await self._turns.run_turn(request)
        if answer.completed:
            return TurnResult(reply_of(answer), answer.task_id, False)
        await self._hand_over(answer.task_id, request)
        return TurnResult(STILL_WORKING, answer.task_id, True)

    async def _hand_over(self, task_id: str, request: orpc.RunTurnRequest) -> None:
        if self._outbox is None:
            return
        try:
            await self._outbox.deliver_turn_reply(task_id, request.connector, request.external_id)
        except Exception:  # a redelivery of the message asks again (peek)
            log.exception("handing the reply of turn %s to the outbox failed", task_id)
