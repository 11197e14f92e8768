"""Sending e-mail, shared by the orchestrator's `send_email` action and connectors_svc's
e-mail adapter: header values that cannot inject a header, recipient parsing, and one SMTP
transaction (STARTTLS, AUTH PLAIN, MAIL/RCPT/DATA) that says how far it got when it fails.

`transmit` is blocking (smtplib); callers run it in a thread. Its `SmtpFailure` tells what a
retry could do: `code` is the server's answer (0 when there was none) and `after_data` is
True when the connection failed while the message itself was being handed over, so the
server may hold it: only then can a retry send it twice."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from svckit.errors import InvalidArgument


def clean(value: str, field: str) -> str:
    """A header value, stripped; INVALID_ARGUMENT when it holds a CR, LF or NUL."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise InvalidArgument(f"{field} must not contain line breaks", field=field)
    return value.strip()


def addresses(value: Any, field: str) -> list[str]:
    """Addresses from a comma-separated string or a list; INVALID_ARGUMENT for a bad one."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        raw = clean(str(item), field)
        if not raw:
            continue
        _, addr = parseaddr(raw)
        local, at, domain = addr.rpartition("@")
        if not at or not local or not domain or " " in addr:
            raise InvalidArgument(f'invalid recipient "{raw}"', field=field)
        if addr.lower() not in (a.lower() for a in out):
            out.append(addr)
    return out


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    require_tls: bool = False  # refuse to go on when the server offers no STARTTLS
    timeout_s: float = 30.0
    ca_file: str = ""  # CA bundle that verifies the STARTTLS certificate; "" = the system's


class SmtpFailure(Exception):
    """One SMTP transaction failed; see the module docstring for `code` and `after_data`."""

    def __init__(self, reason: str, *, code: int = 0, after_data: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.after_data = after_data

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


def _answer(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {text}".strip()


def _open(server: SmtpServer) -> smtplib.SMTP:
    smtp = smtplib.SMTP(server.host, server.port or 587, timeout=server.timeout_s)
    try:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context(cafile=server.ca_file or None))
            smtp.ehlo()
        elif server.require_tls:
            raise SmtpFailure("the smtp server does not offer STARTTLS")
        if server.username:  # AUTH PLAIN, as the original (and after STARTTLS)
            smtp.user, smtp.password = server.username, server.password
            smtp.auth("PLAIN", smtp.auth_plain)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()  # the message is accepted: a failed goodbye changes nothing


def transmit(server: SmtpServer, msg: EmailMessage, rcpts: list[str]) -> None:
    """Sends `msg` to `rcpts` in one SMTP transaction; raises `SmtpFailure`."""
    after_data = False
    try:
        smtp = _open(server)
        try:
            sender = parseaddr(str(msg["From"] or ""))[1]
            code, text = smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, text, sender)
            for rcpt in rcpts:
                code, text = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, text)})
            after_data = True
            code, text = smtp.data(msg.as_bytes())
            if code != 250:
                raise smtplib.SMTPDataError(code, text)
            _quit(smtp)
        finally:
            smtp.close()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        reason = f"{code} {text.decode(errors='replace')}"
        raise SmtpFailure(f"recipient refused: {reason}", code=code) from None
    except smtplib.SMTPResponseException as exc:
        # an answer, even after DATA: the server says what it did with the message
        raise SmtpFailure(_answer(exc), code=exc.smtp_code) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpFailure(str(exc) or type(exc).__name__, after_data=after_data) from None
