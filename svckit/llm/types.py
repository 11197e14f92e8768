"""The provider-neutral conversation: messages, tool specs, tool uses, a completion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, its JSON schema of arguments."""

    name: str
    description: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolUse:
    """One tool call the model asked for. `args` is None when the model's arguments were not
    a JSON object (`raw` keeps what it sent, so the error can be shown to it)."""

    id: str
    name: str
    args: Mapping[str, Any] | None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """A conversation entry: the user's text, the assistant's text and tool uses, or a tool's
    result (`tool_use_id` names the call; `is_error` marks a failed call)."""

    role: Literal["user", "assistant", "tool"]
    text: str = ""
    tool_uses: Sequence[ToolUse] = field(default_factory=tuple)
    tool_use_id: str = ""
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's answer: text, and the tools it wants called (none: a final answer)."""

    text: str
    tool_uses: Sequence[ToolUse] = field(default_factory=tuple)


class LlmClient(Protocol):
    """One model. Raises `svckit.errors.Unavailable`, `DeadlineExceeded` or
    `FailedPrecondition` when the provider fails (see the package docstring)."""

    @property
    def name(self) -> str:
        """`<provider>:<model>`, for logs and error messages."""
        ...

    async def complete(
        self, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec]
    ) -> Completion: ...
