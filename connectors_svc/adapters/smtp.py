"""Replies to e-mail contexts, by SMTP (svckit.mail: the header safety and the transaction the
orchestrator's `send_email` action uses too).

An e-mail context is a mailbox (`<username>:<mailbox>`), so a reply goes to the sender of an
e-mail ingested from it: the one whose Message-ID the part answers (`reply_to_message_id`),
else the mailbox's latest (the store's FindImapIngestion). The reply's subject is
`Re: <subject>` and it carries In-Reply-To and References, so the sender's client threads it.

Failures map onto the adapter contract (base.py): no connection, or a 4xx answer → nothing
was delivered (NotDelivered, retried later); a 5xx answer → refused for good (Rejected); the
connection lost while the message itself was being handed over → unknown (raised as is)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from connectors_svc.adapters.base import NotDelivered, Part, Rejected
from connectors_svc.adapters.mail_ports import ReplyTarget, ReplyTargets
from svckit.errors import InvalidArgument
from svckit.mail import SmtpFailure, SmtpServer, addresses, clean, transmit

REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class MailerConfig:
    server: SmtpServer
    sender: str  # AGENT_RUNTIME_SMTP_FROM


class UncertainDelivery(Exception):
    """The connection was lost while the server took the message: it may hold it."""


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        return "Re: (no subject)"
    return subject if REPLY_PREFIX.match(subject) else f"Re: {subject}"


def message_id(part: Part) -> str:
    """Derived from the part's idempotency key when it has one, so a receiver can tell a
    copy (as the `send_email` action's)."""
    if not part.idempotency_key:
        return make_msgid(domain="agent-runtime")
    return f"<{hashlib.sha256(part.idempotency_key.encode()).hexdigest()[:32]}@agent-runtime>"


def compose(part: Part, target: ReplyTarget, sender: str) -> tuple[EmailMessage, list[str]]:
    """The reply; INVALID_ARGUMENT for a header value or address that cannot be sent."""
    to = addresses(target.address, "to")
    msg = EmailMessage()
    msg["From"] = clean(sender, "from")
    msg["To"] = ", ".join(to)
    msg["Subject"] = reply_subject(part.subject or target.subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(part)
    if target.message_id:
        msg["In-Reply-To"] = clean(target.message_id, "message_id")
        msg["References"] = clean(target.message_id, "message_id")
    msg.set_content(part.text)
    return msg, to


class Mailer:
    """Sends one part as an e-mail reply; returns the reply's Message-ID."""

    def __init__(self, config: MailerConfig, targets: ReplyTargets) -> None:
        self._config, self._targets = config, targets

    async def send(self, part: Part) -> str:
        if not self._config.sender:
            raise Rejected("smtp sender is not configured (AGENT_RUNTIME_SMTP_FROM)")
        target = await self._targets.reply_target(part.chat_id.lower(), part.reply_to_message_id)
        if target is None:
            raise Rejected(f"no e-mail from {part.chat_id} to reply to")
        try:
            msg, rcpts = compose(part, target, self._config.sender)
        except InvalidArgument as exc:
            raise Rejected(str(exc)) from None
        try:
            await asyncio.to_thread(transmit, self._config.server, msg, rcpts)
        except SmtpFailure as exc:
            if exc.permanent:
                raise Rejected(f"smtp refused: {exc}") from None
            if exc.after_data and not exc.code:
                raise UncertainDelivery(f"smtp connection lost during DATA: {exc}") from None
            raise NotDelivered(f"smtp: {exc}") from None
        return str(msg["Message-ID"])
