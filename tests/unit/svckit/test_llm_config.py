"""Which LLM client the settings give: none when unset, a clear error naming the setting when
it cannot work (unknown provider, no key for a remote API), no key needed on loopback;
and the orchestrator's settings read the original's variable names (the key as a secret)."""

from __future__ import annotations

import pytest

from orchestrator_svc.config import OrchestratorSettings
from svckit.config import load_settings
from svckit.errors import InvalidArgument
from svckit.llm import open_client


def test_unset_means_no_model() -> None:
    assert open_client("", "", "", "", 5) is None
    assert open_client("none", "", "", "", 5) is None


@pytest.mark.parametrize(
    ("provider", "key", "url", "field"),
    [
        ("gemini", "k", "", "llm_provider"),
        ("openai", "", "", "llm_api_key"),
        ("anthropic", "", "https://api.anthropic.com/v1", "llm_api_key"),
        ("openai", "", "http://192.168.1.5:11434/v1", "llm_api_key"),
    ],
)
def test_settings_that_cannot_work_are_refused(
    provider: str, key: str, url: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as bad:
        open_client(provider, "", key, url, 5)
    assert bad.value.field == field


def test_loopback_needs_no_key_and_defaults_fill_the_model() -> None:
    local = open_client("openai", "llama3", "", "http://127.0.0.1:11434/v1", 5)
    assert local is not None and local.name == "openai:llama3"
    claude = open_client("Claude", "", "sk-ant", "", 5)
    assert claude is not None and claude.name == "anthropic:claude-3-5-sonnet-latest"


def test_the_original_names_configure_the_orchestrator(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "AGENT_RUNTIME_LLM_PROVIDER": "anthropic",
        "AGENT_RUNTIME_LLM_MODEL": "claude-x",
        "AGENT_RUNTIME_LLM_API_KEY": "sk-secret",
        "AGENT_RUNTIME_LLM_BASE_URL": "https://llm.example/v1",
        "AGENT_RUNTIME_LLM_TIMEOUT_SECONDS": "7.5",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = OrchestratorSettings()
    assert (s.llm_provider, s.llm_model, s.llm_base_url) == (
        "anthropic",
        "claude-x",
        "https://llm.example/v1",
    )
    assert s.llm_timeout_seconds == 7.5 and s.llm_api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(s)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"AGENT_RUNTIME_LLM_PROVIDER": "gemini"}, "AGENT_RUNTIME_LLM_PROVIDER"),
        ({"AGENT_RUNTIME_LLM_PROVIDER": "openai"}, "AGENT_RUNTIME_LLM_API_KEY"),
    ],
)
def test_a_setting_that_cannot_work_stops_the_process_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str],
    variable: str,
) -> None:  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SystemExit) as stopped:
        load_settings(OrchestratorSettings)
    assert stopped.value.code == 2
    assert f"invalid setting {variable}:" in capsys.readouterr().err
