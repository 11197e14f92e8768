"""The e-mail connector from the original's settings names."""

from __future__ import annotations

import pytest

from connectors_svc.adapters import email
from connectors_svc.adapters.base import Part, Rejected
from connectors_svc.config import ConnectorsSettings


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ConnectorsSettings:
    for name, value in env.items():
        monkeypatch.setenv(f"AGENT_RUNTIME_{name.upper()}", value)
    return ConnectorsSettings()


def test_imap_needs_host_username_and_password(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, imap_host="mail.example.test", imap_username="alice")
    assert not email.configured(s)
    monkeypatch.setenv("AGENT_RUNTIME_IMAP_PASSWORD", "secret")
    s = ConnectorsSettings()
    assert email.configured(s)
    assert (s.imap_port, s.imap_mailbox, s.imap_poll_seconds, s.smtp_port) == (
        993,
        "INBOX",
        60,
        587,
    )
    assert "secret" not in repr(s)


async def test_without_smtp_a_reply_is_refused_for_good(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, imap_host="h", imap_username="u", imap_password="p")
    adapter = email.build(s, store=None)  # type: ignore[arg-type]  # never reached
    assert (adapter.name, adapter.part_limit, adapter.receives) == ("imap", 0, True)
    with pytest.raises(Rejected, match="smtp is not configured"):
        await adapter.send_part(Part("u:INBOX", "hello"))
