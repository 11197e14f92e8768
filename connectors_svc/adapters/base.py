"""The contract between connectors_svc's core and its channel adapters (Telegram, Discord,
e-mail, the codex/cline/gemini webhook).

An adapter knows one platform's wire protocol and nothing else: it receives messages and
hands each to the core's `InboundSink`, and it sends one message part when asked. The core
owns everything around that: the gateway call and its journal, the delivery ledger (one row
per outbound message, `pending -> sending -> sent | failed | unknown`, one record per part),
splitting long text to `part_limit` (or with the adapter's own `split`: `SplitsText`), the
leader lease for adapters that `receives`, the supervisor (capped exponential backoff with
jitter, a circuit breaker) and the status that `GetConnectorStatus` and the heartbeat
report.

Errors from `send_part` decide what the ledger records:
- `NotDelivered`: nothing can have reached the recipient (connection refused, a 5xx or 429
  answered before acceptance); the core may retry later, honouring `retry_after_s`.
- `Rejected`: the platform refused the message for good (a 4xx such as an unknown chat);
  recorded `failed`, never retried.
- anything else (a timeout after the request was written, a dropped connection mid-answer):
  recorded `unknown`, surfaced, never repeated blindly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from connectors_svc.adapters.cursors import Fence

MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message; `fetch` downloads it (the platform's call), only when the
    core keeps it (markdown, not too large: `connectors_svc.attachments`)."""

    name: str
    mime: str
    size: int  # bytes as the platform announced them; 0 when unknown
    fetch: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)

    @property
    def markdown(self) -> bool:
        """`.md`/`.markdown` (any case), or typed `text/markdown` / `text/x-markdown`."""
        mime = self.mime.split(";", 1)[0].strip().lower()
        return self.name.lower().endswith((".md", ".markdown")) or mime in MARKDOWN_TYPES


@dataclass(frozen=True)
class InboundMessage:
    """One message received from a platform, as the gateway's HandleMessage takes it."""

    connector: str
    external_id: str
    text: str
    message_id: str
    from_user_id: str
    from_display_name: str = ""
    display_name: str = ""
    direct_message: bool = False
    mentioned: bool = False
    attachments: tuple[Attachment, ...] = ()
    # how a reply reaches the sender, opaque to the core (Discord: the slash command's
    # interaction); kept in the reply's delivery row and handed back with each of its parts
    reply_route: str = ""


@dataclass(frozen=True)
class Command:
    """One entry of the gateway's command catalogue (ListCommands), for platform menus."""

    name: str
    description: str
    argument: str = ""


@dataclass(frozen=True)
class Part:
    """One part of an outbound message (the core splits long text before sending).
    `reply_to_message_id` comes with the first part only; `reply_route` (the delivery's, as
    the receiving adapter set it) with every part, and `index` tells which part it is."""

    chat_id: str
    text: str
    reply_to_message_id: str = ""
    subject: str = ""
    idempotency_key: str = ""
    reply_route: str = ""
    index: int = 0


@dataclass(frozen=True)
class Sent:
    """What `send_part` may return in place of the bare platform message id: the id and a
    note the ledger keeps with the sent part (how it went out, e.g. as plain text after the
    platform refused its formatting)."""

    platform_message_id: str
    note: str = ""


class NotDelivered(Exception):
    """Nothing reached the recipient; retrying cannot send twice."""

    def __init__(self, reason: str, retry_after_s: float = 0.0) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Rejected(Exception):
    """The platform refused the message for good; recorded `failed`, not retried."""


@dataclass
class AdapterState:
    """What an adapter tells the core about its session (the core adds lease and counts)."""

    connected: bool = False
    detail: str = ""
    bot_username: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class InboundSink(Protocol):
    """What the core gives a running adapter."""

    async def handle(self, message: InboundMessage) -> str:
        """Hands a received message to the gateway (journaled there, so a redelivery runs
        nothing twice) and records its reply in the ledger, which sends it (at once, in the
        background); returns the reply text ("" for none). Raises when the gateway could not
        take the message: the adapter must then not acknowledge it to the platform, so it is
        received again."""
        ...

    async def commands(self) -> Sequence[Command]:
        """The gateway's command catalogue, for menus and slash commands."""
        ...

    def beat(self, state: AdapterState) -> None:
        """Reports the session's state (connected, detail) after each poll cycle or event."""
        ...

    def fence(self) -> Fence | None:
        """The leader lease this session runs under, to fence the store writes it makes
        (`Cursors.put`); None when the core runs without leases."""
        ...


class Adapter(Protocol):
    """One platform. `name` is the connector name used in contexts and the ledger.

    A platform module `connectors_svc/adapters/<module>.py` exposes
    `build(settings: ConnectorsSettings) -> Adapter`; `connectors_svc.catalog` calls it when
    the platform's credentials are set (discord: `discord`, imap: `email`, whose `build` also
    takes the store facade it files e-mails and tasks through) and reports the platform
    `disabled` with the reason otherwise. Telegram, which keeps its update offset in the
    store, is built by `adapters.telegram_setup.build(settings, cursors)`."""

    name: str
    part_limit: int  # characters per sent part; 0 = no limit
    receives: bool  # True when `run` receives messages (needs the leader lease)
    # The longest a healthy session goes without `sink.beat()`; past it the connector reads
    # `degraded` ("no beat for N s"), so a session that hangs is not shown healthy. 0: none.
    beat_within_s: float

    async def run(self, sink: InboundSink) -> None:
        """Connects and receives until cancelled; returns or raises when the session ends,
        and the supervisor starts it again after a backoff."""
        ...

    async def send_part(self, part: Part) -> str | Sent:
        """Sends one part; returns the platform message id (or a `Sent` with a note).
        Raises NotDelivered or Rejected as the module docstring says; anything else is
        recorded `unknown`. It may be called on any replica and at any time, whether or not
        `run` is active here (the leader lease covers receiving only), and concurrently with
        `run`."""
        ...

    async def aclose(self) -> None:
        """Releases the adapter's connections."""
        ...


@runtime_checkable
class SplitsText(Protocol):
    """An adapter that splits its long texts itself (Telegram: markdown sent as HTML, whose
    converted length counts); others are split by `connectors_svc.split.split_text` at
    `part_limit`. Deterministic, so a retry resumes on the same parts."""

    def split(self, text: str) -> list[str]: ...
