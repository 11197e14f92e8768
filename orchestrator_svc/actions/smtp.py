"""The SMTP plugin (`send_email`, `smtp_email`, `email`; REFERENCE.md §3.5).

Recipients from the target and `payload.to`, plus `cc` and `bcc` (never written as a
header); subject, text or html body. The message is an `email.message.EmailMessage`, and a
CR or LF in any header value is refused, so no header can be injected. STARTTLS when the
server offers it (required with `AGENT_RUNTIME_SMTP_REQUIRE_TLS`), login when a username is
set (AUTH PLAIN). The Message-ID is derived from the approval id, so a receiver can tell a copy."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from orchestrator_svc.actions.plugins import Approval, text
from svckit.errors import FailedPrecondition, InvalidArgument
from svckit.mail import SmtpFailure, SmtpServer, addresses, clean, transmit


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    require_tls: bool = False
    timeout_s: float = 30.0
    # CA bundle that verifies the server's STARTTLS certificate; "" trusts the system's
    ca_file: str = ""


def build(
    approval: Approval, payload: Mapping[str, Any], sender: str
) -> tuple[EmailMessage, list[str]]:
    to = addresses(approval.action_target, "action_target")
    to += [a for a in addresses(payload.get("to"), "to") if a.lower() not in map(str.lower, to)]
    cc, bcc = addresses(payload.get("cc"), "cc"), addresses(payload.get("bcc"), "bcc")
    everyone = list(dict.fromkeys(a.lower() for a in to + cc + bcc))
    if not everyone:
        raise InvalidArgument("smtp action requires recipient in target or payload.to", field="to")
    frm = clean(text(payload, "from") or sender, "from")
    if not frm:
        raise FailedPrecondition("smtp sender is not configured")
    if "@" not in parseaddr(frm)[1]:
        raise InvalidArgument("invalid sender", field="from")
    subject = clean(
        text(payload, "subject") or approval.action_summary or "Agent Runtime notification",
        "subject",
    )
    body = text(payload, "body") or text(payload, "text") or approval.action_summary
    html = text(payload, "html")
    if not body and not html:
        raise InvalidArgument("smtp action requires body/text/html content", field="body")
    msg = EmailMessage()
    msg["From"], msg["Subject"] = frm, subject
    if to:
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
    else:  # never disclose a bcc recipient
        msg["To"] = ", ".join(cc) if cc else "undisclosed-recipients:;"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{approval.id}@agent-runtime>"
    msg.set_content(body or "This message has an HTML body.")
    if html:
        msg.add_alternative(html, subtype="html")
    return msg, everyone


class Smtp:
    key = "smtp_email"
    types = ("send_email", "smtp_email", "email")

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def execute(self, approval: Approval, payload: Mapping[str, Any]) -> str:
        cfg = self._config
        if not cfg.host:
            raise FailedPrecondition("smtp host is not configured")
        if cfg.username and not cfg.password:
            raise FailedPrecondition("smtp password is required when username is set")
        msg, rcpts = build(approval, payload, cfg.sender)
        await asyncio.to_thread(self._send, msg, rcpts)
        return f"email sent to {len(rcpts)} recipient(s)"

    def _send(self, msg: EmailMessage, rcpts: list[str]) -> None:
        cfg = self._config
        server = SmtpServer(
            cfg.host,
            cfg.port or 587,
            cfg.username,
            cfg.password,
            cfg.require_tls,
            cfg.timeout_s,
            cfg.ca_file,
        )
        try:
            transmit(server, msg, rcpts)
        except SmtpFailure as exc:
            raise FailedPrecondition(f"smtp send failed: {exc}") from None
