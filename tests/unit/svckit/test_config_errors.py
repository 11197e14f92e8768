"""A bad setting stops start-up naming the variable, and never prints a secret: not the value
of a secret field, not the password inside a URL."""

from __future__ import annotations

import pytest
from pydantic import Field, SecretStr

from gateway_svc.config import GatewaySettings
from store_svc.config import StoreSettings
from svckit.config import ServiceSettings, load_settings


def _stderr_of_failed_start(cls: type[ServiceSettings], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        load_settings(cls)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_a_too_short_admin_token_is_named_but_not_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_ADMIN_TOKEN", "S3cr3t-t0ken")
    err = _stderr_of_failed_start(GatewaySettings, capsys)
    assert "AGENT_RUNTIME_ADMIN_TOKEN" in err and "at least 16 characters" in err
    assert "S3cr3t-t0ken" not in err and "value hidden" in err


def test_a_bad_database_url_is_shown_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_DB_URL", "mysql://app:Pa55-w0rd@db.internal:3306/runtime")
    err = _stderr_of_failed_start(StoreSettings, capsys)
    assert "AGENT_RUNTIME_DB_URL" in err
    assert "mysql://app:***@db.internal:3306/runtime" in err  # enough to spot the typo
    assert "Pa55-w0rd" not in err


class _WebhookSettings(ServiceSettings):
    # a SecretStr whose name says nothing about being secret
    outbound_hook: SecretStr = Field(SecretStr("x" * 24), min_length=24)


def test_a_secret_str_field_is_hidden_whatever_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_OUTBOUND_HOOK", "hook-s3cret")
    err = _stderr_of_failed_start(_WebhookSettings, capsys)
    assert "AGENT_RUNTIME_OUTBOUND_HOOK" in err and "hook-s3cret" not in err


def test_other_bad_values_are_still_shown_with_every_variable_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_ADMIN_TOKEN", "short-s3cret")
    monkeypatch.setenv("AGENT_RUNTIME_REST_PORT", "https-port")
    err = _stderr_of_failed_start(GatewaySettings, capsys)
    assert "AGENT_RUNTIME_REST_PORT" in err and "'https-port'" in err
    assert "AGENT_RUNTIME_ADMIN_TOKEN" in err and "short-s3cret" not in err
