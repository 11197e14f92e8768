"""The drain loop: claims due deliveries of this replica's adapters from the outbox (notices
of the orchestrator, scheduler and gateway, retries of earlier sends) and sends them, up to
`MAX_IN_FLIGHT` at once, claiming more as sends finish. A long-poll claim returns as soon as
a delivery is written. Deliveries to one chat go in the order they were claimed; different
chats at once. On stop, sends in flight get `STOP_GRACE_S` to finish (one cut short stays
`sending`, and so turns `unknown`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping

from connectors_svc.adapters.base import Adapter
from connectors_svc.backoff import Backoff
from connectors_svc.courier import Courier
from connectors_svc.deps import Delivery, Ledger

log = logging.getLogger("connectors.drain")
MAX_IN_FLIGHT = 32
STOP_GRACE_S = 5.0
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
        self._sending: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._chats: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    async def run(self) -> None:
        """Until cancelled."""
        if not self._adapters:
            await asyncio.Event().wait()
        try:
            await self._claiming()
        finally:
            await self._finish()

    async def _claiming(self) -> None:
        failures, names = 0, sorted(self._adapters)
        while True:
            while len(self._sending) >= MAX_IN_FLIGHT:
                self._room.clear()
                await self._room.wait()
            try:
                batch = await self._ledger.claim(
                    names, self._owner, self._lease_ms, MAX_IN_FLIGHT - len(self._sending),
                    self._wait_ms,
                )  # fmt: skip
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("claiming deliveries failed: %s", exc)
                await asyncio.sleep(_STORE_DOWN.delay(failures, self._rng))
                continue
            for d in batch:
                task = asyncio.create_task(self._one(d), name=f"deliver:{d.id}")
                self._sending.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._room.set()

    async def _one(self, d: Delivery) -> None:
        chat = (d.connector, d.chat_id)
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:  # FIFO: one chat's deliveries in claim order
                adapter = self._adapters.get(d.connector)
                if adapter is not None:
                    await self._courier.deliver(d, adapter)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the store failed before the send: the lease runs out
            log.warning("delivery %s not sent now: %s", d.id, exc)
        finally:
            lock, users = self._chats[chat]
            if users <= 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    async def _finish(self) -> None:
        """Lets sends in flight finish (briefly), then cancels what is left."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=STOP_GRACE_S)
        for task in list(self._sending):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
