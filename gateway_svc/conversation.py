"""A conversation message is an agent turn (the orchestrator's RunTurn), awaited up to the
turn wait; a turn still running then is answered "still working", and once it finishes its
reply is written to the store's delivery ledger (the outbox the connectors send from),
keyed `turn:<task id>` so it is recorded once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from gateway_svc.deps import Outbox, Turns

log = logging.getLogger(__name__)

STILL_WORKING = "Still working on it; I'll send the answer here when it is ready."
FOLLOW_WAIT_MS = 60_000


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
    """Runs turns and follows the ones that outlive the wait."""

    def __init__(self, turns: Turns, outbox: Outbox | None, wait_ms: int) -> None:
        self._turns, self._outbox, self._wait_ms = turns, outbox, wait_ms
        self._followers: set[asyncio.Task[None]] = set()

    async def turn(self, request: orpc.RunTurnRequest) -> TurnResult:
        request.wait_ms = self._wait_ms
        answer = await self._turns.run_turn(request)
        if answer.completed:
            return TurnResult(reply_of(answer), answer.task_id, False)
        self._follow(request)
        return TurnResult(STILL_WORKING, answer.task_id, True)

    async def peek(self, request: orpc.RunTurnRequest) -> TurnResult:
        """The same turn (same run_key) as it is now; runs nothing new."""
        request.wait_ms = 0
        answer = await self._turns.run_turn(request)
        if answer.completed:
            return TurnResult(reply_of(answer), answer.task_id, False)
        return TurnResult(STILL_WORKING, answer.task_id, True)

    def _follow(self, request: orpc.RunTurnRequest) -> None:
        if self._outbox is None:
            return
        follower = asyncio.create_task(self._deliver(request))
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)

    async def _deliver(self, request: orpc.RunTurnRequest) -> None:
        assert self._outbox is not None
        follow = orpc.RunTurnRequest()
        follow.CopyFrom(request)
        follow.wait_ms = FOLLOW_WAIT_MS
        try:
            while True:
                answer = await self._turns.run_turn(follow)
                if answer.completed:
                    break
            await self._outbox.deliver(
                f"turn:{answer.task_id}", request.connector, request.external_id, reply_of(answer)
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivering the reply of turn %s failed", request.run_key)

    async def stop(self) -> None:
        for follower in list(self._followers):
            follower.cancel()
        await asyncio.gather(*self._followers, return_exceptions=True)
