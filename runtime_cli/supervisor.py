"""Process supervision for `agent-runtime up`: ordered start, restart with backoff, stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from runtime_cli.health import wait_serving
from runtime_cli.process import Child, ChildSpec


class StartupError(RuntimeError):
    """A service exited or stayed unhealthy while the stack was starting."""


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts: doubling from `initial` up to `maximum`; a child that stayed
    up for `reset_after` seconds starts again from `initial`."""

    initial: float = 0.5
    maximum: float = 30.0
    reset_after: float = 60.0

    def next(self, previous: float | None, uptime: float) -> float:
        if previous is None or uptime >= self.reset_after:
            return self.initial
        return min(previous * 2, self.maximum)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


class Supervisor:
    """Runs one child per spec. The first spec (the store) starts alone and must be healthy
    before the others start in parallel."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        *,
        out: TextIO,
        sink: TextIO,
        startup_timeout: float = 60.0,
        backoff: Backoff | None = None,
    ) -> None:
        self._specs = list(specs)
        self._out = out
        self._sink = sink
        self._startup_timeout = startup_timeout
        self._backoff = backoff or Backoff()
        self._children: dict[str, Child] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False

    def say(self, message: str) -> None:
        self._out.write(message + "\n")
        self._out.flush()

    def pids(self) -> dict[str, int]:
        return {name: child.pid for name, child in self._children.items()}

    async def start(self) -> None:
        """Start every service and wait until each reports SERVING; raise StartupError if not."""
        first, rest = self._specs[0], self._specs[1:]
        await self._start_one(first)
        tasks = [asyncio.create_task(self._start_one(spec)) for spec in rest]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._watchers = [asyncio.create_task(self._watch(spec)) for spec in self._specs]

    async def wait(self) -> None:
        """Supervise until cancelled (restarts happen in the watchers)."""
        await asyncio.gather(*self._watchers)

    async def stop(self, grace: float = 4.0) -> None:
        """SIGTERM every child's process group, SIGKILL whatever is left after `grace`."""
        self._stopping = True
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        running = {n: c for n, c in self._children.items() if c.returncode is None}
        for child in running.values():
            child.signal_group(signal.SIGTERM)
        waits = {name: asyncio.create_task(child.wait()) for name, child in running.items()}
        if not waits:
            return
        _, pending = await asyncio.wait(waits.values(), timeout=grace)
        for name, task in waits.items():
            if task in pending:
                self.say(f"{name} did not stop within {grace:.0f}s; killing it")
                running[name].signal_group(signal.SIGKILL)
        await asyncio.gather(*waits.values(), return_exceptions=True)

    async def _start_one(self, spec: ChildSpec) -> None:
        child = await Child.spawn(spec, self._sink)
        self._children[spec.name] = child
        if await self._serving(spec, child):
            self.say(f"{spec.name} is SERVING (pid {child.pid})")
            return
        if child.returncode is not None:
            raise StartupError(
                f"{spec.name} exited with {describe_exit(child.returncode)} before it was "
                "healthy (its output is above)"
            )
        raise StartupError(
            f"{spec.name} did not report SERVING on {spec.health_addr} "
            f"within {self._startup_timeout:.0f}s"
        )

    async def _serving(self, spec: ChildSpec, child: Child) -> bool:
        def alive() -> bool:
            return child.returncode is None

        return await wait_serving(spec.health_addr, self._startup_timeout, alive)

    async def _watch(self, spec: ChildSpec) -> None:
        loop = asyncio.get_running_loop()
        delay: float | None = None
        restarts = 0
        started = loop.time()
        while True:
            code = await self._children[spec.name].wait()
            if self._stopping:
                return
            delay = self._backoff.next(delay, loop.time() - started)
            restarts += 1
            self.say(
                f"{spec.name} exited with {describe_exit(code)}; "
                f"restarting in {delay:.1f}s (restart #{restarts})"
            )
            await asyncio.sleep(delay)  # the backoff itself, not a wait for a condition
            child = await Child.spawn(spec, self._sink)
            self._children[spec.name] = child
            started = loop.time()
            self.say(f"{spec.name} restarted (pid {child.pid})")
            if await self._serving(spec, child):
                self.say(f"{spec.name} is SERVING again (pid {child.pid})")
