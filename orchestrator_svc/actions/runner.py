"""The `action` task executor: runs an approved action at most once.

The approval's execution goes `queued → running → succeeded | failed | unknown`, each step
a conditional write in the store: `running` is written before the effect and the outcome
after it. A task that finds its approval already `running` is a reclaimed one whose worker
died between the two writes: the effect may or may not have happened, so it records
`unknown` (the store posts a notice to the requester) and never repeats it. An approval
with an outcome already recorded is left alone. The store posts every outcome back to the
requesting chat (delivery key `approval:<id>:<status>`)."""

from __future__ import annotations

import asyncio
import logging

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.actions.plugins import Approval, Registry, payload_of
from orchestrator_svc.approvals import PREFIX
from orchestrator_svc.deps import ApprovalStore
from orchestrator_svc.executors import Outcome
from svckit import errors

log = logging.getLogger("orchestrator.actions")

DONE = frozenset({"succeeded", "failed", "skipped", "unknown"})
UNKNOWN_MESSAGE = "interrupted after it started; the outcome is unknown and it is not repeated"


class ActionExecutor:
    """Executes the approval named by an `action` task's run_key (`approval:<id>`)."""

    def __init__(self, approvals: ApprovalStore, plugins: Registry, record_tries: int = 5) -> None:
        self._approvals, self._plugins, self._tries = approvals, plugins, record_tries

    async def run(self, task: store.Task) -> Outcome:
        if not task.run_key.startswith(PREFIX):
            raise errors.InvalidArgument("an action task's run_key is approval:<id>")
        approval = await self._approvals.get(task.run_key.removeprefix(PREFIX))
        if approval.status != "approved":
            raise errors.FailedPrecondition(f"action approval is {approval.status}")
        if approval.execution_status in DONE:
            return _outcome(approval)
        if approval.execution_status == "running":
            return _outcome(await self._record(approval, "unknown", UNKNOWN_MESSAGE, ""))
        plugin = self._plugins.find(approval.action_type)
        if plugin is None:
            message = f"action plugin not found: {approval.action_type}"
            return _outcome(await self._record(approval, "failed", message, ""))
        try:
            payload = payload_of(approval)
        except errors.DomainError as exc:
            return _outcome(await self._record(approval, "failed", exc.message, plugin.key))
        try:  # before the effect: from here on it is never started again
            await self._approvals.record(approval.id, "running", "", plugin.key)
        except errors.FailedPrecondition:  # another attempt got there first: never twice
            now = await self._approvals.get(approval.id)
            if now.execution_status == "running":
                return _outcome(await self._record(now, "unknown", UNKNOWN_MESSAGE, plugin.key))
            return _outcome(now)
        try:
            message = await plugin.execute(approval, payload)
        except asyncio.CancelledError:
            # stopped (cancel or drain) mid-effect: whether it happened is unknown
            await asyncio.shield(self._record(approval, "unknown", UNKNOWN_MESSAGE, plugin.key))
            raise
        except errors.DomainError as exc:
            return _outcome(await self._record(approval, "failed", exc.message, plugin.key))
        except Exception as exc:  # an effect that broke: recorded, never retried
            log.exception("action %s failed", approval.id)
            message = f"{type(exc).__name__}: {exc}"
            return _outcome(await self._record(approval, "failed", message, plugin.key))
        return _outcome(await self._record(approval, "succeeded", message, plugin.key))

    async def _record(self, approval: Approval, status: str, message: str, plugin: str) -> Approval:
        """Record the outcome, retrying while the store is unreachable (a task that gives up
        is reclaimed, finds `running` and records `unknown`)."""
        pause = 0.1
        for attempt in range(self._tries):
            try:
                return await self._approvals.record(approval.id, status, message[:2000], plugin)
            except errors.FailedPrecondition:
                return await self._approvals.get(approval.id)  # recorded already
            except errors.DomainError as exc:
                if (
                    exc.code not in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
                    or attempt + 1 == self._tries
                ):
                    raise
                await asyncio.sleep(pause)
                pause *= 2
        raise errors.Unavailable("the outcome could not be recorded")


def _outcome(approval: Approval) -> Outcome:
    """The task's outcome: succeeded with the action, failed (for good) otherwise."""
    status, message = approval.execution_status, approval.execution_message
    if status in ("succeeded", "skipped"):
        return Outcome(summary=f"action {status}: {message}"[:180], text=message)
    raise errors.FailedPrecondition(f"action {status}: {message}", execution_status=status)
