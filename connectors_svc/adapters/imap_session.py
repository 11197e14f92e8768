"""One logged-in IMAP connection with the mailbox selected, over imapclient (blocking: the
adapter calls it from a thread, one call at a time).

Messages are fetched with `BODY.PEEK[]`, which leaves `\\Seen` alone: the adapter sets it
only once the store holds the ingestion, so a crash in between leaves the message unseen and
it is ingested after the restart."""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

MAX_BODY = 2 * 1024 * 1024  # larger messages are not fetched, only their headers (§8.4)
WAKING = (b"EXISTS", b"RECENT")  # IDLE answers that mean new mail (not our own flag changes)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    username: str
    password: str = field(repr=False)
    port: int = 993
    mailbox: str = "INBOX"
    tls_skip_verify: bool = False
    poll_seconds: float = 60.0
    timeout_s: float = 30.0
    ca_file: str = ""  # CA bundle that verifies the server; "" = the system's


@dataclass(frozen=True)
class Fetched:
    raw: bytes  # the message, or its header only when not `whole`
    size: int  # the whole message's size, bytes
    whole: bool


def tls_context(config: ImapConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if config.tls_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Session:
    """Connects, logs in and selects the mailbox (raises on failure)."""

    def __init__(self, config: ImapConfig) -> None:
        # imapclient is typed only in part: its client is used as Any
        client: Any = IMAPClient(
            config.host,
            config.port,
            ssl=True,
            ssl_context=tls_context(config),
            timeout=config.timeout_s,
        )
        try:
            client.login(config.username, config.password)
            info: dict[bytes, Any] = client.select_folder(config.mailbox)
            self.uidvalidity = int(info[b"UIDVALIDITY"])
            self.idle = b"IDLE" in client.capabilities()
        except BaseException:
            client.shutdown()
            raise
        self._client: Any = client

    def unseen(self) -> list[int]:
        return sorted(int(uid) for uid in self._client.search(["UNSEEN"]))

    def fetch(self, uid: int) -> Fetched | None:
        """The whole message, or only its header when larger than MAX_BODY; None when it is
        gone."""
        sizes = self._client.fetch([uid], ["RFC822.SIZE"])
        if uid not in sizes:
            return None
        size = int(sizes[uid][b"RFC822.SIZE"])
        part = b"BODY[]" if size <= MAX_BODY else b"BODY[HEADER]"
        data = self._client.fetch([uid], [part.replace(b"BODY", b"BODY.PEEK").decode()])
        raw = data.get(uid, {}).get(part)
        return Fetched(bytes(raw), size, size <= MAX_BODY) if raw is not None else None

    def mark_seen(self, uid: int) -> None:
        self._client.add_flags([uid], [b"\\Seen"], silent=True)

    def start_idle(self) -> None:
        self._client.idle()

    def idle_check(self, timeout: float) -> bool:
        """Waits up to `timeout` s in IDLE; True when the server announced new mail."""
        answers = self._client.idle_check(timeout=timeout)
        return any(len(a) > 1 and a[1] in WAKING for a in answers)

    def stop_idle(self) -> None:
        self._client.idle_done()

    def close(self) -> None:
        """Drops the connection (safe while another thread waits on it in IDLE)."""
        with contextlib.suppress(IMAPClientError, OSError):
            self._client.shutdown()
