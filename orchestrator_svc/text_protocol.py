"""The original's JSON-in-text protocol, for models without native tool calling: the model
answers `{"tool": "<name>", "args": {…}}`, `{"final": "…"}` or plain text (REFERENCE.md
§2.3 `parseDecision`); tool results go back as user messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from svckit.llm import Completion, Message, ToolUse

PROTOCOL = (
    "To call a tool, answer with only a JSON object: "
    '{"tool": "<name>", "args": {...}}. To answer the user, answer '
    '{"final": "<answer>"} or plain text.'
)


def first_object(text: str) -> dict[str, Any] | None:
    """The first balanced `{…}` (string-aware) if it is a JSON object, else None."""
    start = text.find("{")
    while start >= 0:
        depth, in_str, esc = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                esc = not esc and ch == "\\"
                if ch == '"' and not esc:
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        value = json.loads(text[start : i + 1])
                    except ValueError:
                        return None
                    return value if isinstance(value, dict) else None
        return None
    return None


def decide(completion: Completion, step: int) -> Completion:
    """A text completion as a native one: a tool use, or the final text."""
    obj = first_object(completion.text)
    if obj is None:
        return completion
    tool = obj.get("tool")
    if isinstance(tool, str) and tool.strip():
        args = obj.get("args", {})
        use = ToolUse(
            id=f"text-{step}",
            name=tool.strip(),
            args=args if isinstance(args, dict) else None,
            raw=json.dumps(args),
        )
        return Completion("", (use,))
    for key in ("final", "reply", "answer"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return Completion(value.strip())
    return completion


def as_text(messages: Sequence[Message]) -> list[Message]:
    """The conversation without tool roles: calls as the JSON the model wrote, results as
    user messages."""
    out: list[Message] = []
    for m in messages:
        if m.role == "tool":
            label = "TOOL ERROR" if m.is_error else "TOOL RESULT"
            out.append(Message("user", f"{label}:\n{m.text}"))
        elif m.role == "assistant" and m.tool_uses:
            u = m.tool_uses[0]
            out.append(Message("assistant", json.dumps({"tool": u.name, "args": u.args or {}})))
        else:
            out.append(m)
    return out
