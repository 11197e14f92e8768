"""Anthropic messages through the official SDK. Native tool calling: `tools` in, `tool_use`
blocks out, `tool_result` blocks back (the results of one turn in one user message)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anthropic

from svckit.llm.errors import strip_thinking, translate
from svckit.llm.types import Completion, Message, ToolSpec, ToolUse

MAX_TOKENS = 4096


def _messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": m.tool_use_id,
                "content": m.text,
                "is_error": m.is_error,
            }
            last = out[-1] if out else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": m.text}] if m.text else []
            blocks += [
                {"type": "tool_use", "id": u.id, "name": u.name, "input": dict(u.args or {})}
                for u in m.tool_uses
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": "user", "content": m.text})
    return out


class AnthropicClient:
    """One Claude model. `base_url` is the original's (`https://api.anthropic.com/v1`): the SDK
    adds `/v1/messages` itself, so a trailing `/v1` is dropped."""

    def __init__(self, model: str, api_key: str, base_url: str, timeout: float) -> None:
        self._model, self._timeout = model, timeout
        base = base_url.rstrip("/").removesuffix("/v1") or None
        self._sdk = anthropic.AsyncAnthropic(
            api_key=api_key or "unused", base_url=base, timeout=timeout, max_retries=0
        )

    @property
    def name(self) -> str:
        return f"anthropic:{self._model}"

    async def complete(
        self, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec]
    ) -> Completion:
        extra: dict[str, Any] = {"system": system} if system else {}
        if tools:
            extra["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.schema)}
                for t in tools
            ]
        try:
            reply = await self._sdk.messages.create(
                model=self._model,
                max_tokens=MAX_TOKENS,
                messages=_messages(messages),  # type: ignore[arg-type]
                **extra,
            )
        except anthropic.AnthropicError as exc:
            raise translate(self.name, exc, self._timeout) from None
        texts: list[str] = []
        uses: list[ToolUse] = []
        for block in reply.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                args = block.input if isinstance(block.input, dict) else None
                uses.append(ToolUse(id=block.id, name=block.name, args=args, raw=str(block.input)))
        return Completion(strip_thinking("\n".join(texts)), tuple(uses))

    async def close(self) -> None:
        await self._sdk.close()
