"""The connectors' running parts, made by `server.build_server` and started by its hooks:
the status board, the courier and publisher, the drain loop, one supervisor per adapter and
the heartbeat reporter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from connectors_svc.adapters.base import Adapter
from connectors_svc.courier import Courier, CourierPolicy
from connectors_svc.deps import Deps
from connectors_svc.drain import Drain
from connectors_svc.leader import AdapterLease
from connectors_svc.publish import Publisher
from connectors_svc.sending import Background
from connectors_svc.sink import Sink
from connectors_svc.status import Board
from connectors_svc.supervisor import Supervisor, SupervisorPolicy

log = logging.getLogger("connectors.runtime")


@dataclass(frozen=True)
class Tuning:
    courier: CourierPolicy = field(default_factory=CourierPolicy)
    supervisor: SupervisorPolicy = field(default_factory=SupervisorPolicy)
    poll_wait_ms: int = 10_000
    lease_ttl_s: float = 15.0
    heartbeat_s: float = 10.0


class Runtime:
    def __init__(self, deps: Deps, tuning: Tuning) -> None:
        self._deps, self._tuning = deps, tuning
        self.board = Board(deps.clock)
        adapters = {a.name.lower(): a for a in deps.adapters}
        for name, reason in deps.disabled.items():
            self.board.disable(name, reason)
        for name, a in adapters.items():
            self.board.add(name, a.receives, a.beat_within_s)
        lease_ms = tuning.courier.lease_ms
        self._courier = (
            Courier(deps.ledger, deps.holder, self.board, tuning.courier, deps.rng)
            if deps.ledger
            else None
        )
        self.publisher = Publisher(
            deps.ledger, self._courier, adapters, deps.disabled, deps.holder, lease_ms
        )
        self._sends = Background()  # replies to inbound messages, sent after handling
        self._supervisors = [self._supervisor(a) for a in adapters.values()]
        self._drain = (
            Drain(deps.ledger, self._courier, adapters, deps.holder, lease_ms,
                  tuning.poll_wait_ms, deps.rng)
            if deps.ledger and self._courier
            else None
        )  # fmt: skip
        self._tasks: list[asyncio.Task[None]] = []

    def _supervisor(self, a: Adapter) -> Supervisor:
        d = self._deps
        lease = (
            AdapterLease(d.leases, a.name, d.holder, self._tuning.lease_ttl_s, d.monotonic)
            if a.receives and d.leases is not None
            else None
        )
        sink = Sink(
            a.name, d.gateway, self.publisher, self.board, self._sends, d.attachments,
            lease.fence if lease is not None else lambda: None,
        )  # fmt: skip
        return Supervisor(a, sink, self.board, self._tuning.supervisor, lease, d.monotonic, d.rng)

    async def start(self) -> None:
        runs = [s.run() for s in self._supervisors]
        if self._drain is not None:
            runs.append(self._drain.run())
        if self._deps.components is not None:
            runs.append(self._beat())
        self._tasks = [asyncio.create_task(r) for r in runs]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await self._sends.aclose()
        await self._report()  # the final states (stopped)
        for adapter in self._deps.adapters:
            with contextlib.suppress(Exception):
                await adapter.aclose()

    async def _report(self) -> None:
        if self._deps.components is None:
            return
        stale_ms = int(self._tuning.heartbeat_s * 3 * 1000)
        try:
            await self._deps.components.report(self.board.components(stale_ms))
        except Exception as exc:
            log.warning("heartbeat report failed: %s", exc)

    async def _beat(self) -> None:
        while True:
            await self._report()
            await asyncio.sleep(self._tuning.heartbeat_s)
