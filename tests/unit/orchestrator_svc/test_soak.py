"""Three orchestrator processes on one PostgreSQL-backed store, `kill -9`ed at random and
restarted while they work through 500 tasks: every task succeeds once (its result names
the attempt that completed it: the last lease handed out), and no two attempts at one task
ever run at the same time. Each attempt logs its start and end with its fencing token
(`soak_orchestrator`); a killed process's attempts end, at the latest, when it died."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as rpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests import pg

MODULE = "tests.unit.orchestrator_svc.soak_orchestrator"
TASKS, PROCESSES, KILLS = 500, 3, 4
WS = "soak"


@dataclass
class Attempt:
    start: int = 0
    end: int = 0  # 0: never ended (its process was killed)
    pid: int = 0


@dataclass
class Fleet:
    pki: PkiPaths
    data: Path
    env: dict[str, str]
    live: dict[int, ExitStack] = field(default_factory=dict)
    died_at: dict[int, int] = field(default_factory=dict)  # pid -> ns, after it was reaped

    async def start(self) -> None:
        stack = ExitStack()
        cm = testing.service_process(MODULE, self.pki, self.data, self.env)
        proc = await asyncio.to_thread(stack.enter_context, cm)
        self.live[proc.proc.pid] = stack

    async def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(os.waitpid, pid, 0)
        self.died_at[pid] = time.time_ns()
        stack = self.live.pop(pid)
        await asyncio.to_thread(stack.close)  # nothing left to stop: only the bookkeeping

    async def close(self) -> None:
        for stack in self.live.values():
            await asyncio.to_thread(stack.close)


def _attempts(folder: Path) -> dict[str, dict[int, Attempt]]:
    out: dict[str, dict[int, Attempt]] = defaultdict(dict)
    for log in folder.glob("*.log"):
        pid = int(log.stem)
        for line in log.read_text().splitlines():
            what, task_id, token, ns, *_ = line.split()
            a = out[task_id].setdefault(int(token), Attempt(pid=pid))
            if what == "start":
                a.start = int(ns)
            else:
                a.end = int(ns)
    return out


async def _finished(stub: TaskServiceStub) -> int:
    stats = await stub.QueueStats(rpc.QueueStatsRequest(workspace_id=WS), timeout=10)
    return TASKS - sum(lane.queued + lane.running for lane in stats.lanes)


async def _all_tasks(stub: TaskServiceStub) -> list[store.Task]:
    found: list[store.Task] = []
    token = ""
    while True:
        page = await stub.ListTasks(
            rpc.ListTasksRequest(workspace_id=WS, limit=500, page_token=token), timeout=10
        )
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


async def test_three_killed_and_restarted_orchestrators_run_every_task_once(
    pki: PkiPaths, tmp_path: Path, pg_cluster: pg.Cluster | str
) -> None:
    url = pg.database_or_skip(pg_cluster, f"soak_{uuid.uuid4().hex[:8]}")
    marks = tmp_path / "marks"
    marks.mkdir()
    rng = random.Random(1234)
    store_env = {"AGENT_RUNTIME_DB_URL": url}
    with testing.service_process("store_svc", pki, tmp_path, store_env) as st:
        fleet = Fleet(
            pki,
            tmp_path,
            {
                "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{st.grpc}",
                "AGENT_RUNTIME_TASK_LEASE_MS": "3000",
                "AGENT_RUNTIME_TASK_CLAIM_WAIT_MS": "1000",
                "AGENT_RUNTIME_DEFAULT_CONCURRENCY": "5",
            },
        )
        async with testing.client_channel(pki, st.grpc, "svc:orchestrator") as ch:
            stub = TaskServiceStub(ch)
            try:
                await asyncio.gather(*(fleet.start() for _ in range(PROCESSES)))
                made: list[str] = []
                for chunk in range(0, TASKS, 50):
                    replies = await asyncio.gather(
                        *(
                            stub.CreateTask(
                                rpc.CreateTaskRequest(
                                    workspace_id=WS, context_id=f"system:soak{i % 7}",
                                    kind="soak", title=f"soak {i}", prompt=str(marks),
                                    max_attempts=50,
                                ),
                                timeout=10,
                            )
                            for i in range(chunk, min(chunk + 50, TASKS))
                        )
                    )  # fmt: skip
                    made.extend(r.task.id for r in replies)
                restarts: list[asyncio.Task[None]] = []
                for k in range(KILLS):
                    # kill one at random once some more work is done; its replacement starts
                    # in the background while the others carry on
                    floor = (k + 1) * TASKS // (KILLS + 2)
                    await testing.eventually(
                        lambda f=floor: _at_least(stub, f), f"{floor} tasks done", deadline=60
                    )
                    await testing.eventually(lambda: len(fleet.live) >= 2, "two alive", 60)
                    await fleet.kill(rng.choice(sorted(fleet.live)))
                    restarts.append(asyncio.create_task(fleet.start()))
                await asyncio.gather(*restarts)
                await testing.eventually(
                    lambda: _at_least(stub, TASKS), "every task finished", deadline=90
                )
                tasks = await _all_tasks(stub)
            finally:
                await fleet.close()

    assert sorted(t.id for t in tasks) == sorted(made)
    assert {t.status for t in tasks} == {"succeeded"}
    attempts = _attempts(marks)
    for t in tasks:
        mine = attempts[t.id]
        # the completion that counted is the last lease's: no stale token overwrote it
        token = max(mine)
        assert t.result_summary.startswith(f"token={token} "), (t.id, t.result_summary)
        assert mine[token].end, t.id  # and that attempt ran to its end
        ordered = [mine[k] for k in sorted(mine)]
        for before, after in itertools.pairwise(ordered):
            ended = before.end or fleet.died_at[before.pid]
            assert ended <= after.start, f"two attempts of {t.id} overlapped"
    assert len(fleet.died_at) == KILLS
    assert sum(len(a) for a in attempts.values()) > TASKS  # some work was really cut short


async def _at_least(stub: TaskServiceStub, n: int) -> bool:
    return await _finished(stub) >= n
