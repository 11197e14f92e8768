"""The original's JSON-in-text protocol, for models without native tool calling: the model
answers `{"tool": "<name>", "args": {…}}`, `{"final": "…"}` or plain text (REFERENCE.md
§2.3 `parseDecision`); tool results go back as user messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from svckit.llm import Completion, Message, ToolUse

_ACTION_KEYS = ("type", "target", "summary", "payload")
MIN_CONFIDENCE = 0.35
NEEDS_REVIEW = "I need a human review before taking action on this."
PROTOCOL = (
    "To call a tool, answer with only a JSON object: "
    '{"tool": "<name>", "args": {...}}. To answer the user, answer '
    '{"final": "<answer>", "confidence": <0 to 1>} or plain text.'
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
    kind = obj.get("type")
    if isinstance(kind, str) and kind.strip():  # the legacy action proposal: run_action
        given = obj.get("payload")
        payload: dict[str, Any] = given if isinstance(given, dict) else {}
        extra = {k: obj[k] for k in sorted(obj) if k not in _ACTION_KEYS}
        args = {
            "type": kind.strip(),
            "target": str(obj.get("target", "")),
            "summary": str(obj.get("summary", "")),
            "payload": {**payload, **extra},
        }
        use = ToolUse(id=f"text-{step}", name="run_action", args=args, raw=json.dumps(args))
        return Completion("", (use,))
    for key in ("final", "reply", "answer"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            if _confidence(obj) < MIN_CONFIDENCE:
                return Completion(NEEDS_REVIEW)
            return Completion(value.strip())
    return completion


def _confidence(obj: dict[str, Any]) -> float:
    """The answer's `confidence` (a number or numeric string) clamped to [0, 1]; 1 if absent."""
    raw = obj.get("confidence", 1.0)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 1.0
    return min(max(value, 0.0), 1.0)


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
