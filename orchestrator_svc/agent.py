"""The agent seam: what a turn or an agent task asks of "the agent", and what it answers.

The LLM loop (native tool calling through the openai / anthropic SDKs) implements `Agent`;
until a model is configured, `NoModelAgent` answers from workspace retrieval alone and says
plainly that no model is configured (SPEC.md: never "internal error")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agent_runtime.store.v1 import task_pb2 as store
from svckit import errors


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool the agent called, as the task artifact's execution trace shows it."""

    name: str
    args: Mapping[str, object]
    output: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """One message for the agent: a chat turn, or an agent task's prompt."""

    workspace_id: str
    context_id: str
    text: str
    task: store.Task
    connector: str = ""
    external_id: str = ""
    from_user_id: str = ""
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class AgentReply:
    """The agent's final answer and the tools it called on the way."""

    text: str
    tool_calls: Sequence[ToolCall] = field(default_factory=tuple)


class Agent(Protocol):
    """Answers a request. Raises `svckit.errors.*` when it cannot (e.g. UNAVAILABLE for an
    LLM outage, so the task is retried); a reply is always something to show a person."""

    async def respond(self, request: AgentRequest) -> AgentReply: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieval result."""

    uri: str
    title: str
    snippet: str


class Retriever(Protocol):
    """Workspace search (qmd `Search`)."""

    async def search(self, workspace_id: str, query: str, limit: int) -> list[Hit]: ...


NO_MODEL = "No language model is configured, so this answer comes from the workspace notes only."
SEARCH_LIMIT = 3


class NoModelAgent:
    """Answers from the workspace index: the top hits with their `qmd://` URIs and snippets."""

    def __init__(self, retriever: Retriever, limit: int = SEARCH_LIMIT) -> None:
        self._retriever, self._limit = retriever, limit

    async def respond(self, request: AgentRequest) -> AgentReply:
        query = request.text.strip()
        args = {"query": query, "limit": self._limit}
        try:
            hits = await self._retriever.search(request.workspace_id, query, self._limit)
        except errors.DomainError as exc:
            call = ToolCall("search_knowledge_base", args, error=exc.message)
            text = f"{NO_MODEL}\n\nThe workspace search is unavailable right now ({exc.message})."
            return AgentReply(text, (call,))
        listing = "\n".join(
            f"{n}. {h.title} — {h.uri}\n   {' '.join(h.snippet.split())}"
            for n, h in enumerate(hits, 1)
        )
        call = ToolCall("search_knowledge_base", args, output=listing or "no matches")
        if not hits:
            text = (
                f"{NO_MODEL}\n\nNothing in this workspace's notes matches “{query}”. Add "
                "markdown notes to the workspace, or configure a model "
                "(AGENT_RUNTIME_LLM_PROVIDER) for full answers."
            )
        else:
            text = f"{NO_MODEL}\n\nWhat the notes say about “{query}”:\n{listing}"
        return AgentReply(text, (call,))
