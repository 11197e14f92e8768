"""`python -m tests.unit.orchestrator_svc.soak_orchestrator`: the real orchestrator process
with one more task kind for the soak test, `soak`: its prompt names a folder; each attempt
appends `start <task> <token> <ns>` to `<folder>/<pid>.log` when it begins and
`end <task> <token> <ns> <how>` when it ends (done, or stopped), works for 0.1 to 0.5 s
(so that kills land mid-task), and succeeds naming its fencing token. The lines are
written unbuffered, each in one `write`, so a `kill -9` loses none that was written."""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.__main__ import main
from orchestrator_svc.executors import Outcome


class Soak:
    def __init__(self) -> None:
        self._logs: dict[Path, int] = {}

    def _mark(self, folder: Path, line: str) -> None:
        path = folder / f"{os.getpid()}.log"
        fd = self._logs.get(path)
        if fd is None:
            fd = self._logs[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{line}\n".encode())

    async def run(self, task: store.Task) -> Outcome:
        folder, token = Path(task.prompt), task.lease_token
        self._mark(folder, f"start {task.id} {token} {time.time_ns()}")
        how = "stopped"
        try:
            await asyncio.sleep((zlib.crc32(task.id.encode()) % 40 + 10) / 100)  # the work
            how = "done"
        finally:
            self._mark(folder, f"end {task.id} {token} {time.time_ns()} {how}")
        return Outcome(summary=f"token={token} pid={os.getpid()}")


if __name__ == "__main__":
    main({"soak": Soak()})
