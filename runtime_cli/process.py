"""One supervised child process: spawn, forward its output, signal its process group."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class ChildSpec:
    """What to run for one service and where it answers health checks."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    health_addr: str


class Child:
    """A running instance of a ChildSpec.

    The child leads its own process group (so a terminal's Ctrl-C reaches only the supervisor,
    which then stops children in order) and gets PR_SET_PDEATHSIG through svckit.launch.
    """

    def __init__(self, proc: asyncio.subprocess.Process, pump: asyncio.Task[None]) -> None:
        self._proc = proc
        self._pump = pump

    @classmethod
    async def spawn(cls, spec: ChildSpec, sink: TextIO) -> Child:
        argv = [sys.executable, "-m", "svckit.launch", str(os.getpid()), *spec.argv]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(spec.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert proc.stdout is not None
        pump = asyncio.create_task(_forward(proc.stdout, f"{spec.name:<12} | ", sink))
        return cls(proc, pump)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    async def wait(self) -> int:
        """Wait for exit and for the last of its output."""
        code = await self._proc.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._pump), 1.0)
        return code

    def signal_group(self, sig: signal.Signals) -> None:
        """Signal the child and anything it started (its process group)."""
        if self._proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)


async def _forward(stream: asyncio.StreamReader, prefix: str, sink: TextIO) -> None:
    """Copy a child's output to `sink`, each line prefixed with the service name."""
    pending = b""
    while chunk := await stream.read(65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            sink.write(prefix + line.decode("utf-8", "replace") + "\n")
        sink.flush()
    if pending:
        sink.write(prefix + pending.decode("utf-8", "replace") + "\n")
        sink.flush()
