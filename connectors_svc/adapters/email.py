"""The e-mail connector (`imap`) from the settings: IMAP in, and SMTP out for replies to its
contexts when AGENT_RUNTIME_SMTP_HOST is set. `__main__` (through the catalog) calls this,
with the store facade it opened."""

from __future__ import annotations

from typing import Protocol

from connectors_svc.adapters.imap import ImapAdapter
from connectors_svc.adapters.imap_session import ImapConfig
from connectors_svc.adapters.mail_ports import IngestStore, ReplyTargets
from connectors_svc.adapters.smtp import Mailer, MailerConfig
from connectors_svc.config import ConnectorsSettings
from svckit.mail import SmtpServer


class MailStore(IngestStore, ReplyTargets, Protocol):
    """The store calls of both directions (connectors_svc.clients.StoreMail)."""


def configured(s: ConnectorsSettings) -> bool:
    """IMAP needs host, username and password (else `credentials missing`)."""
    return bool(s.imap_host and s.imap_username and s.imap_password.get_secret_value())


def build(s: ConnectorsSettings, store: MailStore) -> ImapAdapter:
    imap = ImapConfig(
        s.imap_host,
        s.imap_username,
        s.imap_password.get_secret_value(),
        port=s.imap_port,
        mailbox=s.imap_mailbox,
        tls_skip_verify=s.imap_tls_skip_verify,
        poll_seconds=float(s.imap_poll_seconds),
        ca_file=s.imap_ca_file,
    )
    mailer = None
    if s.smtp_host:
        server = SmtpServer(
            s.smtp_host,
            s.smtp_port,
            s.smtp_username,
            s.smtp_password.get_secret_value(),
            require_tls=s.smtp_starttls or s.smtp_require_tls,
            ca_file=s.smtp_ca_file,
        )
        mailer = Mailer(MailerConfig(server, s.smtp_from), store)
    return ImapAdapter(imap, store, s.workspaces, mailer)
