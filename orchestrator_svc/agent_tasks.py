"""Executors that run the agent: `turn` (a chat message; the whole reply is the task's
result_text) and `general` / `objective` (an agent task that leaves an artifact)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc import artifacts
from orchestrator_svc.agent import Agent, AgentRequest
from orchestrator_svc.executors import Outcome, summary_of
from svckit import chatmemory, errors
from svckit.errors import FailedPrecondition

log = logging.getLogger(__name__)
# A chat turn does not wait for a retry minutes later: the person gets the reason now.
_TRANSIENT = ("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED")


def _request(task: store.Task, text: str) -> AgentRequest:
    return AgentRequest(
        workspace_id=task.workspace_id,
        context_id=task.context_id,
        text=text,
        task=task,
        connector=task.source_connector,
        external_id=task.source_external_id or task.context_id,
        from_user_id=task.source_user_id,
        display_name=task.title,
    )


class TurnExecutor:
    """An agent turn: the reply is stored whole (result_text) for RunTurn to return, and
    written to the chat's log (with `workspace_root`), as the gateway will say it."""

    def __init__(
        self,
        agent: Agent,
        workspace_root: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._agent, self._root, self._clock = agent, workspace_root, clock

    async def run(self, task: store.Task) -> Outcome:
        try:
            reply = await self._agent.respond(_request(task, task.prompt))
        except errors.DomainError as exc:
            # the turn fails at once with a reason a person can read (never "internal error")
            later = " Please try again in a moment." if exc.code in _TRANSIENT else ""
            why = f"I could not answer this time: {exc.message}.{later}"
            await self._log(task, f"I could not finish that turn: {why}")
            raise FailedPrecondition(why) from None
        await self._log(task, reply.text.strip() or "(no reply)")
        return Outcome(summary=summary_of(reply.text), text=reply.text)

    async def _log(self, task: store.Task, text: str) -> None:
        if self._root is None or not task.source_connector or not task.source_external_id:
            return
        try:
            await asyncio.to_thread(
                chatmemory.reply, self._root / task.workspace_id, task.context_id,
                task.source_connector, task.source_external_id, text, self._clock(),
            )  # fmt: skip
        except OSError:  # the log is memory, not the turn
            log.exception("writing the reply of turn %s to the chat log failed", task.id)


class AgentTaskExecutor:
    """A `general` or `objective` task: the agent's answer goes to the task artifact, whose
    workspace-relative path is the result_path (REFERENCE.md §4.4)."""

    def __init__(self, agent: Agent, workspace_root: Path, clock: Callable[[], float]) -> None:
        self._agent, self._root, self._clock = agent, workspace_root, clock

    async def run(self, task: store.Task) -> Outcome:
        prompt = task.prompt.strip() or task.title.strip()
        if not prompt:
            raise FailedPrecondition("task prompt is empty")
        reply = await self._agent.respond(_request(task, prompt))
        text = reply.text.strip() or "Task completed with no output."
        at = datetime.fromtimestamp(self._clock(), UTC)
        path = await artifacts.write(self._root, task, text, reply.tool_calls, at)
        limit = 1400 if task.route_class else 180
        return Outcome(summary=summary_of(text, limit), path=path, text=text)
