"""The drain loop: claims due deliveries of this replica's adapters from the outbox (notices
of the orchestrator, scheduler and gateway, retries of earlier sends) and sends them. A
long-poll claim returns as soon as a delivery is written; deliveries to one chat go in
order, different chats at once."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping

from connectors_svc.adapters.base import Adapter
from connectors_svc.backoff import Backoff
from connectors_svc.courier import Courier
from connectors_svc.deps import Delivery, Ledger

log = logging.getLogger("connectors.drain")
BATCH = 16
_STORE_DOWN = Backoff(0.5, 10.0)


class Drain:
    def __init__(
        self,
        ledger: Ledger,
        courier: Courier,
        adapters: Mapping[str, Adapter],
        owner: str,
        lease_ms: int,
        wait_ms: int,
        rng: random.Random,
    ) -> None:
        self._ledger, self._courier, self._adapters = ledger, courier, adapters
        self._owner, self._lease_ms, self._wait_ms = owner, lease_ms, wait_ms
        self._rng = rng

    async def run(self) -> None:
        """Until cancelled."""
        if not self._adapters:
            await asyncio.Event().wait()
        failures = 0
        names = sorted(self._adapters)
        while True:
            try:
                batch = await self._ledger.claim(
                    names, self._owner, self._lease_ms, BATCH, self._wait_ms
                )
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("claiming deliveries failed: %s", exc)
                await asyncio.sleep(_STORE_DOWN.delay(failures, self._rng))
                continue
            await self.send(batch)

    async def send(self, batch: list[Delivery]) -> None:
        chats: dict[tuple[str, str], list[Delivery]] = {}
        for d in batch:
            chats.setdefault((d.connector, d.chat_id), []).append(d)
        await asyncio.gather(*(self._in_order(ds) for ds in chats.values()))

    async def _in_order(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            adapter = self._adapters.get(d.connector)
            if adapter is None:  # not claimed for it: the lease runs out, another replica sends
                continue
            try:
                await self._courier.deliver(d, adapter)
            except Exception as exc:  # the store failed before the send: the lease runs out
                log.warning("delivery %s not sent now: %s", d.id, exc)
