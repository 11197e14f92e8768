"""DeliverTurnReply: the reply of a turn that outlived the gateway's wait goes to a chat
through the delivery ledger, durably and once. One transaction locks the turn's row, records
where the reply goes and, when the turn has already finished, writes the delivery at once;
otherwise the transaction that finishes the turn writes it (notices.turn_reply). The row lock
(FOR UPDATE on PostgreSQL, the single writer on SQLite) orders the two, and both use the key
`turn:<task id>`, so exactly one delivery exists whatever the interleaving."""

from __future__ import annotations

from store_svc import notices
from store_svc.common import Clock, required
from store_svc.db import Conn, Database
from store_svc.keys import Keys
from store_svc.wakeups import DELIVERIES, Wakeups
from svckit.errors import FailedPrecondition, NotFound


class TurnReplies:
    def __init__(self, db: Database, clock: Clock, keys: Keys, wake: Wakeups | None = None) -> None:
        self._db, self._clock, self._keys = db, clock, keys
        self._wake = wake or Wakeups()

    async def deliver(self, task_id: str, connector: str, chat_id: str) -> bool:
        """True when the turn had finished and its delivery is recorded (now or before)."""
        p = {
            "id": required("task_id", task_id),
            "c": required("connector", connector).lower(),
            "chat": required("chat_id", chat_id),
        }
        now = self._clock.now_ms() // 1000

        def run(c: Conn) -> bool:
            row = c.one(f"SELECT kind FROM tasks WHERE id = :id {c.for_update}", p)
            if row is None:
                raise NotFound("task not found", task_id=p["id"])
            if row["kind"] != "turn":
                raise FailedPrecondition("task is not a turn", task_id=p["id"])
            done = c.one(
                "UPDATE tasks SET reply_connector = :c, reply_chat_id = :chat"
                " WHERE id = :id RETURNING *",
                p,
            )
            assert done is not None
            if done["status"] not in notices.TURN_ENDS:
                return False
            notices.turn_reply(c, self._keys, done, now)
            return True

        recorded = await self._db.write(run)
        if recorded:
            self._wake.notify(1, [DELIVERIES])
        return recorded
