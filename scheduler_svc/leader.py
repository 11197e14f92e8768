"""Leadership through the store's leader lease (DESIGN.md §5): only the holder of the
`scheduler` lease fires. The lease is renewed every third of its length; a refused renewal,
or one that does not come back before the lease would end, ends the leadership at once."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

from scheduler_svc.deps import LeaseStore
from svckit import errors

log = logging.getLogger("scheduler_svc.leader")

LEASE_NAME = "scheduler"
# How often a scheduler that does not lead asks for the lease (one small store write).
FOLLOW_SECONDS = 2.0


def holder_id() -> str:
    """This process, unique even for two processes of one host (and two loops of one test)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leadership:
    """Takes, keeps and gives up the scheduler's lease. `monotonic` is injectable so the
    local view of the expiry never depends on the (movable) wall clock."""

    def __init__(
        self,
        leases: LeaseStore,
        ttl_seconds: float,
        holder: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases, self._ttl = leases, ttl_seconds
        self.holder = holder or holder_id()
        self._monotonic = monotonic
        self._until = 0.0  # local deadline of the lease we hold; 0 when not leading
        self._renew_at = 0.0
        # The lease's fencing token while we hold it: every run the loop records carries it,
        # so the store refuses the writes of a leader that has been deposed meanwhile.
        self.token = 0

    @property
    def leading(self) -> bool:
        """Whether the lease is ours, counting from when we asked (never later than the store)."""
        return self._monotonic() < self._until

    def seconds_to_renew(self) -> float:
        """How long until the lease wants renewing (or taking again)."""
        return max(self._renew_at - self._monotonic(), 0.0)

    async def keep(self) -> bool:
        """Take the lease when it is free, renew it when a third of it has passed; whether we
        lead now. Errors other than ABORTED end the leadership too (a store we cannot reach
        cannot confirm it) and are logged."""
        now = self._monotonic()
        if self.leading and now < self._renew_at:
            return True
        ttl_ms = int(self._ttl * 1000)
        was = self.leading
        try:
            if was:
                try:
                    lease = await self._leases.renew(LEASE_NAME, self.holder, ttl_ms)
                except errors.Aborted:  # expired meanwhile: it may well be free again
                    self._lost(was, "the lease expired")
                    was = False
                    lease = await self._leases.acquire(LEASE_NAME, self.holder, ttl_ms)
            else:
                lease = await self._leases.acquire(LEASE_NAME, self.holder, ttl_ms)
        except errors.Aborted:
            self._lost(was, "held by another scheduler")
            # ask again soon: a released lease is taken over within FOLLOW_SECONDS
            self._renew_at = now + min(self._ttl / 3, FOLLOW_SECONDS)
            return False
        except Exception as exc:
            self._lost(was, str(exc))
            self._renew_at = now + min(self._ttl / 3, 1.0)
            return False
        self._until, self._renew_at = now + self._ttl, now + self._ttl / 3
        self.token = lease.token
        if not was:
            log.info("leading: firing objectives", extra={"holder": self.holder})
        return True

    def _lost(self, was: bool, why: str) -> None:
        self._until = 0.0
        if was:
            log.warning("lost the scheduler lease: %s", why, extra={"holder": self.holder})

    async def release(self) -> None:
        """Give the lease up (on stop) so another scheduler takes over without waiting."""
        if self._until == 0.0:
            return
        self._until = 0.0
        try:
            await self._leases.release(LEASE_NAME, self.holder)
        except Exception as exc:  # it expires on its own
            log.warning("could not release the scheduler lease: %s", exc)
