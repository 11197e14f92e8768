"""The agent loop (REFERENCE.md §2.3 with SPEC.md's fixes): the model gets the merged system
prompt and the grounded request, calls tools (native tool calling, or the JSON-in-text
protocol for models without it) whose arguments are checked against their schemas, and
answers. Policy limits: steps, tool calls, turn duration, input size. A sensitive tool asks
for an approval and the turn ends saying so. Every tool call leaves an agent audit event.
A provider failure raises `svckit.errors` with
a message a person can read (the executor decides between retry and failure)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator_svc import grounding, prompt
from orchestrator_svc.agent import AgentReply, AgentRequest, Retriever, ToolCall
from orchestrator_svc.agent_audit import AgentAudit
from orchestrator_svc.text_protocol import PROTOCOL, as_text, decide
from orchestrator_svc.tools.base import Toolbox, ToolContext, ToolError
from svckit import chatlog, errors
from svckit.llm import Completion, LlmClient, Message

log = logging.getLogger(__name__)
TOO_LONG = "I can help, but that message is too long for one autonomous turn."
TOO_MANY = "I cannot run more tools for this request under current policy."
NEEDS_APPROVAL = (
    "I queued this action and it now needs admin approval.\n\nNext:\n"
    "1) Run `/approve-action {id}`\n2) Or run `/pending-actions` to review approvals first."
)
OUT_OF_STEPS = (
    "I ran several checks but could not finalize in time. Ask me to continue and I will keep "
    "iterating from here."
)


@dataclass(frozen=True, slots=True)
class Policy:
    max_steps: int = 6
    max_tool_calls: int = 6
    max_turn_seconds: float = 120.0
    max_input_chars: int = 12_000


Policies = Callable[[str], Awaitable[prompt.ContextPolicy]]


class LlmAgent:
    """An `Agent` backed by a model and the toolbox."""

    def __init__(
        self,
        llm: LlmClient,
        toolbox: Toolbox,
        retriever: Retriever,
        workspace_root: Path,
        *,
        policy: Policy = Policy(),
        native_tools: bool = True,
        reasoning: str = "",
        context_policy: Policies | None = None,
        clock: Callable[[], float],
        audit: AgentAudit | None = None,
    ) -> None:
        self._llm, self._tools, self._retriever = llm, toolbox, retriever
        self._root, self._policy, self._native = workspace_root, policy, native_tools
        self._reasoning, self._context_policy, self._clock = reasoning, context_policy, clock
        self._audit = audit

    async def respond(self, request: AgentRequest) -> AgentReply:
        if len(request.text) > self._policy.max_input_chars:
            return AgentReply(TOO_LONG)
        seconds = self._policy.max_turn_seconds
        try:
            async with asyncio.timeout(seconds):
                return await self._run(request)
        except TimeoutError:
            raise errors.DeadlineExceeded(
                f"the turn took longer than its {seconds:g}s limit"
            ) from None

    async def _system(self, request: AgentRequest, ws: Path) -> str:
        policy = prompt.ContextPolicy()
        if self._context_policy is not None:
            with contextlib.suppress(errors.DomainError):  # an unknown context: defaults
                policy = await self._context_policy(request.context_id)
        catalogue = self._tools.catalogue()
        if not self._native:
            catalogue += f"\n{PROTOCOL}\n"
        return prompt.build(
            self._reasoning, catalogue, ws, request.context_id, policy, self._clock()
        )

    async def _complete(self, system: str, messages: list[Message], step: int) -> Completion:
        if self._native:
            specs = [t.spec for t in self._tools.tools]
            return await self._llm.complete(system, messages, specs)
        return decide(await self._llm.complete(system, as_text(messages), ()), step)

    async def _run(self, request: AgentRequest) -> AgentReply:
        ws = self._root / request.workspace_id
        system = await self._system(request, ws)
        messages = [Message("user", await grounding.ground(request, ws, self._retriever))]
        calls: list[ToolCall] = []
        failed: set[str] = set()
        for step in range(1, self._policy.max_steps + 1):
            done = await self._complete(system, messages, step)
            if not done.tool_uses:
                text = done.text.strip()
                if not text and calls:
                    last = calls[-1]
                    text = f"Executed `{last.name}`. Result:\n{last.output or last.error}"
                return AgentReply(text or "I have nothing to add.", tuple(calls))
            messages.append(Message("assistant", done.text, tuple(done.tool_uses)))
            for use in done.tool_uses:
                if len(calls) >= self._policy.max_tool_calls:
                    return AgentReply(TOO_MANY, tuple(calls))
                args = dict(use.args or {})
                signature = json.dumps([use.name.lower(), args], sort_keys=True)
                ctx = ToolContext(request, ws)
                output, error, approval = "", "", ""
                tool = self._tools.get(use.name)
                try:
                    if signature in failed:
                        raise ToolError(
                            "repeated failed tool call with unchanged args; choose a "
                            "different approach"
                        )
                    if tool is None:
                        raise ToolError(f"tool not found: {use.name}")
                    checked = Toolbox.check(tool, use.args, use.raw)
                    result = await tool.run(ctx, checked)
                    output, approval = result.output, result.approval_id
                except ToolError as exc:
                    error = str(exc)
                except errors.DomainError as exc:
                    error = f"tool execution failed: {exc.message}"
                if error:
                    failed.add(signature)
                if self._audit is not None:
                    cls = tool.tool_class if tool is not None else ""
                    await self._audit.tool_call(request, use.name, cls, error, approval)
                calls.append(ToolCall(use.name, args, output=output[:1200], error=error[:800]))
                await self._log_tool(ws, request, calls[-1], approval)
                messages.append(
                    Message("tool", error or output, tool_use_id=use.id, is_error=bool(error))
                )
                if approval:
                    return AgentReply(NEEDS_APPROVAL.format(id=approval), tuple(calls))
        return AgentReply(OUT_OF_STEPS, tuple(calls))

    async def _log_tool(
        self, ws: Path, request: AgentRequest, call: ToolCall, approval: str
    ) -> None:
        """A tool entry in the chat's log (svckit.chatlog); a turn of no chat has none."""
        if not (request.connector and request.external_id):
            return
        status = "error" if call.error else "approval_required" if approval else "ok"
        text = chatlog.tool_text(
            call.name,
            status,
            json.dumps(call.args, sort_keys=True, default=str),
            call.error,
            call.output,
        )
        try:
            await asyncio.to_thread(
                chatlog.append, ws, request.connector, request.external_id,
                direction="tool", actor=chatlog.AGENT, text=text, unix=self._clock(),
            )  # fmt: skip
        except OSError:  # the log is memory, not the turn: the turn goes on
            log.exception("writing a tool entry to the chat log failed")
