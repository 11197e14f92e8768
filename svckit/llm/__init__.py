"""LLM provider clients behind one small Protocol (`LlmClient`): the official `openai` SDK
(OpenAI and any OpenAI-compatible server: Ollama, vLLM, llama.cpp) and the `anthropic` SDK,
both with native tool calling. Provider failures come back as `svckit.errors`: UNAVAILABLE
(unreachable, 5xx, rate limited: worth a retry), DEADLINE_EXCEEDED (timed out) and
FAILED_PRECONDITION (refused: bad key, unknown model), each with a message a person can read."""

from __future__ import annotations

from svckit.llm.factory import PROVIDERS, open_client
from svckit.llm.types import Completion, LlmClient, Message, ToolSpec, ToolUse

__all__ = [
    "PROVIDERS",
    "Completion",
    "LlmClient",
    "Message",
    "ToolSpec",
    "ToolUse",
    "open_client",
]
