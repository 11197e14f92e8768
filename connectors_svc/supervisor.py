"""One supervisor per adapter: its `run()` in a task of its own, so a crash or a hang of one
platform never touches the others. A session that ends is started again after a capped,
jittered exponential backoff; after `breaker_failures` quick failures in a row the circuit
opens and the adapter rests for `breaker_open_s` before one more try (half-open). An
adapter that receives runs only while this replica holds its leader lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors_svc.adapters.base import Adapter, InboundSink
from connectors_svc.backoff import Backoff
from connectors_svc.leader import AdapterLease
from connectors_svc.status import STANDBY, Board

log = logging.getLogger("connectors.supervisor")


@dataclass(frozen=True)
class SupervisorPolicy:
    restart: Backoff = field(default_factory=lambda: Backoff(1.0, 60.0))
    breaker_failures: int = 5
    breaker_open_s: float = 300.0
    healthy_after_s: float = 30.0
    follow_s: float = 2.0  # how often a standby asks for the lease


class Supervisor:
    def __init__(
        self,
        adapter: Adapter,
        sink: InboundSink,
        board: Board,
        policy: SupervisorPolicy,
        lease: AdapterLease | None,
        monotonic: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self._adapter, self._sink, self._board = adapter, sink, board
        self._policy, self._lease = policy, lease
        self._monotonic, self._rng = monotonic, rng
        self.failures = 0  # quick failures in a row
        self.restarts = 0

    async def run(self) -> None:
        """Until cancelled."""
        name = self._adapter.name
        try:
            while True:
                if self._lease is not None:
                    await self._lead()
                started = self._monotonic()
                error = await self._session()
                if self._monotonic() - started >= self._policy.healthy_after_s:
                    self.failures = 0
                self.failures += 1
                self.restarts += 1
                await self._rest(name, error)
        finally:
            self._board.state(name, "stopped", "stopped")
            if self._lease is not None:
                await self._lease.release()
                self._board.leader(name, False)

    async def _lead(self) -> None:
        assert self._lease is not None
        name = self._adapter.name
        while not await self._lease.keep():
            self._board.leader(name, False)
            self._board.state(name, "healthy", STANDBY)
            await asyncio.sleep(self._policy.follow_s)
        self._board.leader(name, True)

    async def _session(self) -> str:
        """Runs the adapter until it ends or (receiving) the lease is lost; why it ended."""
        name = self._adapter.name
        self._board.state(name, "starting", "starting")
        task = asyncio.create_task(self._adapter.run(self._sink), name=f"adapter:{name}")
        try:
            while True:
                wait = self._lease.renew_every if self._lease is not None else None
                done, _ = await asyncio.wait({task}, timeout=wait)
                if done:
                    exc = task.exception()
                    return f"{type(exc).__name__}: {exc}" if exc else "session ended"
                assert self._lease is not None
                if not await self._lease.keep():
                    self._board.leader(name, False)
                    return "lost the leader lease"
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _rest(self, name: str, error: str) -> None:
        p = self._policy
        if self.failures >= p.breaker_failures:
            wait, why = p.breaker_open_s, f"circuit open after {self.failures} failures"
            self.failures = p.breaker_failures - 1  # half-open: one more failure reopens it
        else:
            wait = p.restart.delay(self.failures, self._rng)
            why = f"restarting in {wait:.1f}s after {self.failures} failure(s)"
        log.warning("adapter %s ended (%s); %s", name, error, why)
        self._board.crashed(name, error, self.restarts, why)
        await asyncio.sleep(wait)
