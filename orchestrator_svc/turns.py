"""RunTurn: a chat message becomes a `turn` task (idempotent by run_key) in the turn lane;
the call waits up to wait_ms for it to finish and returns the reply stored on the task.

Waiting costs no polling loop of its own: every change this replica makes fires the Pulse
(the workers fire it when a task starts or ends), and a turn run by another replica is seen
by a re-read every `poll_seconds`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc import vocab
from orchestrator_svc.drafts import Created, TaskDraft
from orchestrator_svc.watch import Pulse
from svckit.errors import InvalidArgument

TITLE_MAX = 72
MAX_WAIT_MS = 120_000


class TurnStore(Protocol):
    async def create(self, draft: TaskDraft) -> Created: ...

    async def get(self, task_id: str) -> store.Task: ...


def draft_turn(req: rpc.RunTurnRequest) -> TaskDraft:
    """The `turn` task a RunTurn request describes, or InvalidArgument naming the field."""
    fields = {"workspace_id": req.workspace_id, "context_id": req.context_id, "text": req.text}
    for name, value in fields.items():
        if not value.strip():
            raise InvalidArgument(f"{name} is required", field=name)
    if req.wait_ms < 0:
        raise InvalidArgument("wait_ms must not be negative", field="wait_ms")
    who = req.display_name.strip() or req.from_user_id.strip() or req.connector.strip() or "chat"
    return TaskDraft(
        workspace_id=req.workspace_id.strip(),
        context_id=req.context_id.strip(),
        title=f"Turn from {who}"[:TITLE_MAX],
        prompt=req.text.strip(),
        kind="turn",
        lane="turn",
        source_connector=req.connector.strip(),
        source_external_id=req.external_id.strip(),
        source_user_id=req.from_user_id.strip(),
        source_text=req.text,
        run_key=req.run_key.strip(),
    )


def answer(task: store.Task) -> rpc.RunTurnResponse:
    """The RunTurn answer for the task as it is now."""
    done = task.status in vocab.TERMINAL
    out = rpc.RunTurnResponse(task_id=task.id, status=task.status, completed=done)
    if task.status == "succeeded":
        out.reply = task.result_text or task.result_summary
    elif done:
        out.error_message = task.error_message or task.cancel_reason or f"turn {task.status}"
    return out


async def run_turn(
    tasks: TurnStore, pulse: Pulse, poll_seconds: float, req: rpc.RunTurnRequest
) -> rpc.RunTurnResponse:
    stored = await tasks.create(draft_turn(req))
    if stored.created:
        pulse.fire()
    task = stored.task
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(req.wait_ms, MAX_WAIT_MS) / 1000
    return answer(await wait_until_finished(tasks, pulse, poll_seconds, task, deadline, loop.time))


async def wait_until_finished(
    tasks: TurnStore,
    pulse: Pulse,
    poll_seconds: float,
    task: store.Task,
    deadline: float,
    now: Callable[[], float],
) -> store.Task:
    """The task once it is terminal, or as it is at `deadline`."""
    while task.status not in vocab.TERMINAL:
        left = deadline - now()
        if left <= 0:
            break
        await pulse.wait(min(left, poll_seconds))
        task = await tasks.get(task.id)
    return task
