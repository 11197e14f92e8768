"""The client the settings name (`AGENT_RUNTIME_LLM_PROVIDER`, `_MODEL`, `_API_KEY`,
`_BASE_URL`, `_TIMEOUT_SECONDS`); None when no provider is configured."""

from __future__ import annotations

from urllib.parse import urlsplit

from svckit.errors import InvalidArgument
from svckit.llm.types import LlmClient

PROVIDERS = ("openai", "anthropic")
DEFAULTS = {
    "openai": ("https://api.openai.com/v1", "gpt-4o"),
    "anthropic": ("https://api.anthropic.com/v1", "claude-3-5-sonnet-latest"),
}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def is_loopback(url: str) -> bool:
    """A server on this machine (Ollama, llama.cpp…): no key needed."""
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK or host.startswith("127.")


def open_client(
    provider: str, model: str, api_key: str, base_url: str, timeout: float
) -> LlmClient | None:
    """The configured client; InvalidArgument naming the setting when it cannot work. The
    provider's SDK is imported here, when it is used: each takes seconds to import, which a
    process without a model (or with the other provider) should not pay at every start."""
    name = provider.strip().lower()
    if name in ("", "none"):
        return None
    if name == "claude":
        name = "anthropic"
    if name not in PROVIDERS:
        raise InvalidArgument(
            f"AGENT_RUNTIME_LLM_PROVIDER must be one of {', '.join(PROVIDERS)} (or unset)",
            field="llm_provider",
        )
    base, default_model = DEFAULTS[name]
    base = base_url.strip() or base
    if not api_key and not is_loopback(base):
        raise InvalidArgument(
            f"AGENT_RUNTIME_LLM_API_KEY is required for {base} (only a loopback server "
            "needs no key)",
            field="llm_api_key",
        )
    if name == "anthropic":
        from svckit.llm.anthropic_client import AnthropicClient

        return AnthropicClient(model.strip() or default_model, api_key, base, timeout)
    from svckit.llm.openai_client import OpenAiClient

    return OpenAiClient(model.strip() or default_model, api_key, base, timeout)
