"""The real orchestrator process for bench.orchestrator, with a no-op executor in place of
the agent for `general` and `objective` tasks.

A no-op task does nothing; its summary is the wall-clock time (unix nanoseconds) at which
its worker started it, so the benchmark can measure dispatch (enqueue -> running) on one
machine. It is swapped in here, through the composition root's executor registry, rather
than added to orchestrator_svc as a `noop` kind: a production kind that does nothing would
silently swallow work, and EnqueueTask keeps accepting only the real kinds.
Run as ``python -m bench._orchestrator_server``; does nothing when imported."""

from __future__ import annotations

import time

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.__main__ import main
from orchestrator_svc.executors import Outcome


class Noop:
    async def run(self, task: store.Task) -> Outcome:
        return Outcome(summary=str(time.time_ns()))


if __name__ == "__main__":
    main({"general": Noop(), "objective": Noop()})  # bench.scheduler fires objective tasks
