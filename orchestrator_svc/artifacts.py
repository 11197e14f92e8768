"""Task result artifacts: `<root>/<workspace>/tasks/YYYY/MM/DD/<task-id>.md` (UTC date of
completion) in the original's format (REFERENCE.md §4.4): header, prompt, execution trace of
the tool calls, final output."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc.agent import ToolCall
from svckit.errors import InvalidArgument

ARGS_MAX = 800
OUTPUT_MAX = 2000
# A workspace id or task id becomes one path segment; nothing that could climb out of it.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


def _segment(name: str, value: str) -> str:
    if not _SEGMENT.match(value) or ".." in value:
        raise InvalidArgument(f"{name} is not usable as a folder name", field=name)
    return value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\n...(truncated)"


def render(task: store.Task, reply: str, calls: Sequence[ToolCall], at: datetime) -> str:
    """The artifact's markdown."""
    lines = [
        "# Task Result",
        "",
        f"- ID: `{task.id}`",
        f"- Kind: `{task.kind}`",
        f"- Workspace: `{task.workspace_id}`",
        f"- Context: `{task.context_id}`",
        f"- Title: {task.title}",
        f"- Completed At (UTC): {at.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "",
        "## Prompt",
        "",
        task.prompt.strip() or task.title,
        "",
    ]
    if calls:
        lines += ["## Execution Trace", ""]
        for n, call in enumerate(calls, 1):
            args = json.dumps(dict(call.args), ensure_ascii=False, indent=2, default=str)
            label, body = ("Error", call.error) if call.error else ("Output", call.output)
            lines += [
                f"### Step {n}: `{call.name}`",
                "**Args:**",
                "```json",
                args[:ARGS_MAX],
                "```",
                f"**{label}:**",
                "```",
                _cut(body, OUTPUT_MAX),
                "```",
                "",
            ]
    lines += ["## Final Output", "", reply.strip() or "Task completed with no output.", ""]
    return "\n".join(lines)


def relative_path(task_id: str, at: datetime) -> str:
    """`tasks/YYYY/MM/DD/<task-id>.md`, as stored in result_path."""
    return f"tasks/{at:%Y/%m/%d}/{_segment('id', task_id)}.md"


async def write(
    root: Path, task: store.Task, reply: str, calls: Sequence[ToolCall], at: datetime
) -> str:
    """Write the artifact (atomically: a reader never sees half a file); its relative path."""
    at = at.astimezone(UTC)
    rel = relative_path(task.id, at)
    target = root / _segment("workspace_id", task.workspace_id) / rel
    content = render(task, reply, calls, at)

    def put() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".md.tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(target)

    await asyncio.to_thread(put)
    return rel
