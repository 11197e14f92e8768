"""`python -m tests.unit.orchestrator_svc.hold_orchestrator`: the real orchestrator process
with one more task kind for tests, `hold`: its prompt names a folder; the task marks
`<id>.<pid>.started` there and runs until `<id>.go` appears, then succeeds saying which
process finished it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.__main__ import main
from orchestrator_svc.executors import Outcome


class Hold:
    async def run(self, task: store.Task) -> Outcome:
        folder = Path(task.prompt)
        (folder / f"{task.id}.{os.getpid()}.started").touch()
        go = folder / f"{task.id}.go"
        # a file written by the test process: there is nothing in this process to wake on
        while not go.exists():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return Outcome(summary=f"done by {os.getpid()}")


if __name__ == "__main__":
    main({"hold": Hold()})
