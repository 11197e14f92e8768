"""A tool, what it runs with, and the toolbox that checks arguments before running one."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from orchestrator_svc.agent import AgentRequest
from svckit.llm import ToolSpec


class ToolError(Exception):
    """A tool refused or failed; the message is shown to the model (it may try otherwise)."""


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who asked and where: the request (its task is the turn) and its workspace folder.
    (Whether a sensitive tool may act is the store's call: CreateApproval with use_grant.)"""

    request: AgentRequest
    workspace_dir: Path


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What the model sees; `approval_id` when the tool asked an admin instead of acting."""

    output: str
    approval_id: str = ""


Run = Callable[[ToolContext, Mapping[str, Any]], Awaitable[ToolResult]]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    schema: Mapping[str, Any]
    run: Run
    sensitive: bool = False
    # REFERENCE.md §2.4's classes: general, knowledge, tasking, moderation, objective,
    # drafting (named in the agent audit events)
    tool_class: str = "general"

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.schema)


def obj(required: Sequence[str] = (), **props: Mapping[str, Any]) -> dict[str, Any]:
    """A strict object schema: the named properties, `required`, nothing else."""
    return {
        "type": "object",
        "properties": dict(props),
        "required": list(required),
        "additionalProperties": False,
    }


def text(max_length: int, min_length: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


class Toolbox:
    """Tools by name, sorted; `check` validates arguments against the tool's schema."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {t.name: t for t in sorted(tools, key=lambda t: t.name)}
        for t in self._tools.values():
            jsonschema.Draft202012Validator.check_schema(t.schema)

    @property
    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def catalogue(self) -> str:
        """The original's catalogue: `- <name>: <description>\\n  Schema: <schema>`."""
        return "".join(
            f"- {t.name}: {t.description}\n  Schema: {json.dumps(t.schema, sort_keys=True)}\n"
            for t in self._tools.values()
        )

    @staticmethod
    def check(tool: Tool, args: Mapping[str, Any] | None, raw: str) -> Mapping[str, Any]:
        """The arguments, or ToolError saying what the schema refused."""
        if args is None:
            raise ToolError(f"invalid args for {tool.name}: not a JSON object: {raw[:200]}")
        validator = jsonschema.Draft202012Validator(tool.schema)
        problems = sorted(validator.iter_errors(dict(args)), key=lambda e: list(e.path))
        if problems:
            first = problems[0]
            where = "/".join(str(p) for p in first.path) or "(arguments)"
            raise ToolError(f"invalid args for {tool.name}: {where}: {first.message}")
        return args
