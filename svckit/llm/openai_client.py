"""OpenAI chat completions through the official SDK: OpenAI itself or any OpenAI-compatible
server (`base_url`). Native tool calling: `tools` in, `tool_calls` out, `tool` messages back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import openai

from svckit.llm.errors import strip_thinking, translate
from svckit.llm.types import Completion, Message, ToolSpec, ToolUse


def _message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_use_id, "content": m.text}
    if m.role == "assistant" and m.tool_uses:
        calls = [
            {
                "id": u.id,
                "type": "function",
                "function": {
                    "name": u.name,
                    "arguments": u.raw if u.args is None else json.dumps(dict(u.args)),
                },
            }
            for u in m.tool_uses
        ]
        return {"role": "assistant", "content": m.text or None, "tool_calls": calls}
    return {"role": m.role, "content": m.text}


def _tool(spec: ToolSpec) -> dict[str, Any]:
    fn = {"name": spec.name, "description": spec.description, "parameters": dict(spec.schema)}
    return {"type": "function", "function": fn}


def _use(call: Any) -> ToolUse:
    raw = str(call.function.arguments or "")
    try:
        args = json.loads(raw) if raw.strip() else {}
    except ValueError:
        args = None
    return ToolUse(
        id=str(call.id),
        name=str(call.function.name),
        args=args if isinstance(args, dict) else None,
        raw=raw,
    )


class OpenAiClient:
    """One model on an OpenAI-compatible server."""

    def __init__(self, model: str, api_key: str, base_url: str, timeout: float) -> None:
        self._model, self._timeout = model, timeout
        # max_retries=0: the task queue retries with backoff, not a hidden loop in here
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key or "unused", base_url=base_url, timeout=timeout, max_retries=0
        )

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    async def complete(
        self, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec]
    ) -> Completion:
        body: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        body += [_message(m) for m in messages]
        extra: dict[str, Any] = {"tools": [_tool(t) for t in tools]} if tools else {}
        try:
            reply = await self._sdk.chat.completions.create(
                model=self._model,
                messages=body,  # type: ignore[arg-type]  # plain dicts of the wire format
                **extra,
            )
        except openai.OpenAIError as exc:
            raise translate(self.name, exc, self._timeout) from None
        if not reply.choices:
            raise translate(self.name, RuntimeError("no choices"), self._timeout)
        msg = reply.choices[0].message
        uses = tuple(_use(c) for c in (msg.tool_calls or ()) if getattr(c, "function", None))
        return Completion(strip_thinking(msg.content or ""), uses)

    async def close(self) -> None:
        await self._sdk.close()
