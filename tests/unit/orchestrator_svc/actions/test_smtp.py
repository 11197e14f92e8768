"""The SMTP plugin against a real aiosmtpd server: STARTTLS (verified against the relay's CA)
before AUTH PLAIN, text and html bodies, and header injection is
impossible (a CR or LF in a header value is refused before anything is sent)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from agent_runtime.store.v1.approval_pb2 import ActionApproval
from orchestrator_svc.actions.smtp import Smtp, SmtpConfig
from svckit import testing
from svckit.errors import InvalidArgument
from svckit.pki import PkiPaths
from tests.smtps import Mailbox


class Relay:
    def __init__(self, box: Mailbox, port: int) -> None:
        self.box, self.port, self.logins = box, port, list[str]()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def relay(pki: PkiPaths) -> Iterator[Relay]:
    """A submission server that offers STARTTLS and accepts AUTH only after it."""
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pair = pki.service("gateway")  # its certificate names 127.0.0.1
    tls.load_cert_chain(str(pair.cert), str(pair.key))
    box, port = Mailbox(), testing.free_port()
    relay = Relay(box, port)
    controller = Controller(
        box, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
        authenticator=relay, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield relay
    controller.stop()


def _smtp(pki: PkiPaths, relay: Relay, password: str = "s3cret") -> Smtp:
    config = SmtpConfig(
        host="127.0.0.1", port=relay.port, username="agent", password=password,
        sender="Agent <agent@example.test>", require_tls=True, ca_file=str(pki.ca_cert),
    )  # fmt: skip
    return Smtp(config)


def _approval(target: str = "ana@example.test") -> ActionApproval:
    return ActionApproval(id="act_7", action_type="send_email", action_target=target)


async def test_starttls_then_auth_then_one_message(pki: PkiPaths, relay: Relay) -> None:
    payload = {"subject": "Hi", "text": "plain words", "html": "<p>rich words</p>",
               "bcc": ["cy@example.test"]}  # fmt: skip
    message = await _smtp(pki, relay).execute(_approval(), payload)
    assert message == "email sent to 2 recipient(s)"
    assert relay.logins == ["agent"]
    [(sender, rcpts, raw)] = relay.box.messages
    assert (sender, rcpts) == ("agent@example.test", ["ana@example.test", "cy@example.test"])
    mail = message_from_bytes(raw)
    assert (mail["From"], mail["To"], mail["Bcc"]) == (
        "Agent <agent@example.test>", "ana@example.test", None
    )  # fmt: skip
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in mail.walk()}
    assert parts["text/plain"].strip() == b"plain words"
    assert parts["text/html"].strip() == b"<p>rich words</p>"


@pytest.mark.parametrize(
    ("target", "payload"),
    [
        ("ana@example.test", {"subject": "Hi\r\nBcc: eve@example.test", "text": "x"}),
        ("ana@example.test", {"subject": "Hi\nX-Evil: 1", "text": "x"}),
        ("ana@example.test\r\nBcc: eve@example.test", {"text": "x"}),
        ("ana@example.test", {"cc": "bo@example.test\nBcc: eve@example.test", "text": "x"}),
        ("ana@example.test", {"from": "a@example.test\r\nX-Evil: 1", "text": "x"}),
        ("not-an-address", {"text": "x"}),
        ("", {"text": "x"}),  # no recipient
        ("ana@example.test", {}),  # no body
    ],
)
async def test_bad_headers_and_recipients_are_refused_before_sending(
    pki: PkiPaths, relay: Relay, target: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgument):
        await _smtp(pki, relay).execute(_approval(target), payload)
    assert relay.box.messages == []
