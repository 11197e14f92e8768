"""The leader lease of a receiving adapter (`connector:<name>` in the store), so two replicas
never poll the same bot. Taken when free, renewed every third of its length; a refused or
failed renewal ends the leadership at once (the supervisor then stops the adapter)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from connectors_svc.adapters.cursors import Fence
from connectors_svc.deps import Leases
from svckit import errors

log = logging.getLogger("connectors.leader")


class AdapterLease:
    def __init__(
        self, leases: Leases, name: str, holder: str, ttl_s: float, monotonic: Callable[[], float]
    ) -> None:
        self._leases, self.name, self.holder = leases, f"connector:{name}", holder
        self._ttl_s, self._monotonic = ttl_s, monotonic
        self._until = 0.0
        self._token = 0

    def fence(self) -> Fence | None:
        """The lease as last taken or renewed, for the store to check a write against (it
        refuses one from a holder whose lease ran out or passed to another)."""
        return Fence(self.name, self.holder, self._token) if self._token else None

    @property
    def leading(self) -> bool:
        return self._monotonic() < self._until

    @property
    def renew_every(self) -> float:
        return self._ttl_s / 3

    async def keep(self) -> bool:
        """Takes or renews the lease; whether this replica leads now."""
        now, ttl_ms = self._monotonic(), int(self._ttl_s * 1000)
        try:
            if self.leading:
                self._token = await self._leases.renew(self.name, self.holder, ttl_ms)
            else:
                self._token = await self._leases.acquire(self.name, self.holder, ttl_ms)
        except errors.Aborted:
            self._until = 0.0
            return False
        except Exception as exc:  # a store we cannot reach cannot confirm the lease
            if self.leading:
                log.warning("lease %s not renewed: %s", self.name, exc)
            self._until = 0.0
            return False
        self._until = now + self._ttl_s
        return True

    async def release(self) -> None:
        if self._until == 0.0:
            return
        self._until = 0.0
        try:
            await self._leases.release(self.name, self.holder)
        except Exception as exc:  # it expires on its own
            log.warning("could not release %s: %s", self.name, exc)
