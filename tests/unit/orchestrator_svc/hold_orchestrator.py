"""`python -m tests.unit.orchestrator_svc.hold_orchestrator`: the real orchestrator process
with one more task kind for tests, `hold`: its prompt names a folder; the task marks
`<id>.<pid>.started` there and runs until `<id>.go` appears, then succeeds saying which
process finished it."""

from __future__ import annotations

import os
from pathlib import Path

from watchfiles import awatch

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.__main__ import main
from orchestrator_svc.executors import Outcome


class Hold:
    async def run(self, task: store.Task) -> Outcome:
        folder = Path(task.prompt)
        (folder / f"{task.id}.{os.getpid()}.started").touch()
        go = folder / f"{task.id}.go"
        # Woken by the test process writing the file; the watcher's timeout re-checks in
        # case it was written before the watch began.
        if not go.exists():
            async for _ in awatch(folder, debounce=0, rust_timeout=500, yield_on_timeout=True):
                if go.exists():
                    break
        return Outcome(summary=f"done by {os.getpid()}")


if __name__ == "__main__":
    main({"hold": Hold()})
