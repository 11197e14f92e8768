"""Approvals that lapse undecided expire closed (SPEC.md "Fix"): marked `expired` once, audited,
and the chat that asked is told through the outbox (`approval:<id>:expired`).

Every store replica runs the sweeper; each expiry is one conditional UPDATE, so replicas
sweeping at once expire (and notify) each approval once. A decision arriving after the
expiry marks it as well (approvals.decide)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from store_svc import audit, notices
from store_svc.common import Clock
from store_svc.db import Conn, Database, Row
from store_svc.keys import Keys
from store_svc.wakeups import DELIVERIES, Wakeups
from svckit.errors import DomainError

log = logging.getLogger(__name__)
BATCH = 200


def expire(c: Conn, keys: Keys, old: Row, now: int) -> bool:
    """Mark one lapsed pending approval expired (audited, requester told); False when it is
    not pending and lapsed any more (another replica, or a decision, got there first)."""
    if not c.run(
        "UPDATE action_approvals SET status = 'expired', updated_at_unix = :now"
        " WHERE id = :id AND status = 'pending' AND expires_at_unix <= :now",
        {"id": old["id"], "now": now},
    ):
        return False
    audit.append(
        c, keys, now, "store", "approval.expired", "approval", old["id"], old["workspace_id"],
        before={"status": "pending"}, after={"status": "expired"},
    )  # fmt: skip
    notices.approval_expired(c, keys, old, now)
    return True


class ApprovalSweeper:
    """Expires lapsed approvals every `interval_s` seconds, from start() to stop()."""

    def __init__(
        self, db: Database, clock: Clock, keys: Keys, interval_s: float, wake: Wakeups | None = None
    ) -> None:
        self._db, self._clock, self._keys, self._interval = db, clock, keys, interval_s
        self._wake = wake or Wakeups()
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """Expire what has lapsed by now (a batch at a time); how many expired."""
        total = 0
        while True:
            now = self._clock.now_ms() // 1000

            def run(c: Conn, now: int = now) -> tuple[int, int]:
                rows = c.all(
                    "SELECT * FROM action_approvals WHERE status = 'pending'"
                    f" AND expires_at_unix <= :now ORDER BY seq, id LIMIT {BATCH}",
                    {"now": now},
                )
                return len(rows), sum(expire(c, self._keys, r, now) for r in rows)

            seen, done = await self._db.write(run)
            self._wake.notify(done, [DELIVERIES])  # the requesters' notices
            total += done
            if seen < BATCH:
                return total

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.sweep()
            except (DomainError, OSError):  # the database is away: the next round retries
                log.exception("sweeping lapsed approvals failed")
            await asyncio.sleep(self._interval)
