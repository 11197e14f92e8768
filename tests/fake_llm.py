"""Fake OpenAI and Anthropic HTTP servers on 127.0.0.1 (port 0) that speak their wire
formats: `POST /v1/chat/completions` (OpenAI: `tools` in, `tool_calls` out, `tool` messages
back) and `POST /v1/messages` (Anthropic: `tool_use` / `tool_result` blocks), error bodies
of each, and a slow answer. A `Brain` decides each answer from the conversation it is sent,
so a re-run of the same turn gets the same answers. Served by uvicorn in a thread of its
own, so sync tests (the whole stack) and async tests can both use it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.asgi_thread import ThreadedAsgi


@dataclass(frozen=True)
class Seen:
    """One request as a provider-neutral view: system prompt, the first user text, the
    tool results so far (content, is_error), the tool names offered, the raw body."""

    provider: str
    system: str
    user: str
    results: list[tuple[str, bool]]
    tools: list[str]
    body: dict[str, Any]


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Call:
    name: str
    args: Any
    id: str = "call_1"


@dataclass(frozen=True)
class Fail:
    status: int
    message: str


@dataclass(frozen=True)
class Slow:
    seconds: float


Reply = Say | Call | Fail | Slow
Brain = Callable[[Seen], Reply]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if b.get("type") == "text")
    return ""


def _openai_seen(body: dict[str, Any]) -> Seen:
    msgs = body.get("messages", [])
    system = "\n".join(_text(m["content"]) for m in msgs if m["role"] == "system")
    user = next((_text(m["content"]) for m in msgs if m["role"] == "user"), "")
    results = [(str(m["content"]), False) for m in msgs if m["role"] == "tool"]
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    return Seen("openai", system, user, results, tools, body)


def _anthropic_seen(body: dict[str, Any]) -> Seen:
    msgs = body.get("messages", [])
    user = next((_text(m["content"]) for m in msgs if m["role"] == "user"), "")
    results = [
        (str(b.get("content", "")), bool(b.get("is_error")))
        for m in msgs
        if m["role"] == "user" and isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result"
    ]
    tools = [t["name"] for t in body.get("tools", [])]
    return Seen("anthropic", str(body.get("system", "")), user, results, tools, body)


def _openai_body(reply: Say | Call, model: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": None}
    if isinstance(reply, Say):
        msg["content"], finish = reply.text, "stop"
    else:
        args = reply.args if isinstance(reply.args, str) else json.dumps(reply.args)
        fn = {"name": reply.name, "arguments": args}
        msg["tool_calls"] = [{"id": reply.id, "type": "function", "function": fn}]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _anthropic_body(reply: Say | Call, model: str) -> dict[str, Any]:
    if isinstance(reply, Say):
        content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}]
        stop = "end_turn"
    else:
        content = [{"type": "tool_use", "id": reply.id, "name": reply.name, "input": reply.args}]
        stop = "tool_use"
    return {
        "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
        "content": content, "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }  # fmt: skip


def _error_body(provider: str, message: str) -> dict[str, Any]:
    if provider == "anthropic":
        return {"type": "error", "error": {"type": "api_error", "message": message}}
    return {"error": {"message": message, "type": "server_error", "code": None}}


@dataclass
class FakeLlm:
    brain: Brain
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _served: ThreadedAsgi = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._served = ThreadedAsgi(self, "fake-llm")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if not event.get("more_body"):
                break
        body = json.loads(b"".join(chunks) or b"{}")
        path = scope["path"]
        provider = "anthropic" if path.endswith("/messages") else "openai"
        seen = (_anthropic_seen if provider == "anthropic" else _openai_seen)(body)
        self.seen.append(seen)
        reply = self.brain(seen)
        status, out = 200, {}
        if isinstance(reply, Slow):
            with contextlib.suppress(TimeoutError):  # released when the fake stops
                await asyncio.wait_for(self._served.released.wait(), reply.seconds)
            reply = Say("too late")
        if isinstance(reply, Fail):
            status, out = reply.status, _error_body(provider, reply.message)
        else:
            model = str(body.get("model", ""))
            maker = _anthropic_body if provider == "anthropic" else _openai_body
            out = maker(reply, model)
        data = json.dumps(out).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    def start(self) -> FakeLlm:
        self.port = self._served.start()
        return self

    def stop(self) -> None:
        self._served.stop()
