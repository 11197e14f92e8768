"""What the connectors service is built from: the store's delivery ledger, leases and
heartbeat components, the gateway, and the channel adapters (`connectors_svc.adapters.base`),
each typed as a small Protocol, with the plain values those Protocols speak."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from connectors_svc.adapters.base import Adapter, Command, InboundMessage
from connectors_svc.attachments import Attachments


@dataclass(frozen=True)
class SentPart:
    """One part of a delivery as the ledger recorded it."""

    index: int
    text: str
    status: str  # sending, sent, failed or unknown
    platform_message_id: str = ""


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery ledger (the outbox)."""

    id: str
    idempotency_key: str
    connector: str
    chat_id: str
    text: str
    status: str  # pending, sending, sent, failed or unknown
    attempts: int = 0
    last_error: str = ""
    reply_to_message_id: str = ""
    subject: str = ""
    workspace_id: str = ""
    context_id: str = ""
    parts: tuple[SentPart, ...] = ()
    reply_route: str = ""  # the receiving adapter's (InboundMessage.reply_route)

    def sent_ids(self) -> list[str]:
        return [p.platform_message_id for p in self.parts if p.status == "sent"]


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to record (Publish, or a reply to an inbound message)."""

    idempotency_key: str
    connector: str
    chat_id: str
    text: str
    workspace_id: str = ""
    context_id: str = ""
    reply_to_message_id: str = ""
    subject: str = ""
    reply_route: str = ""


@dataclass(frozen=True)
class PartStep:
    """One step of a part: `sending` before the platform call, then its outcome (`sent`,
    `failed`, `unknown`, or `pending` when nothing reached the recipient)."""

    index: int
    count: int
    status: str
    text: str = ""
    platform_message_id: str = ""
    error: str = ""
    retry_after_ms: int = 0


@dataclass(frozen=True)
class HandleOutcome:
    """The gateway's answer to an inbound message."""

    reply: str
    duplicate: bool = False


@dataclass(frozen=True)
class ComponentReport:
    """One heartbeat component as this process reports it."""

    name: str
    state: str
    message: str = ""
    error: str = ""
    stale_after_ms: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)


class Ledger(Protocol):
    """The store's delivery ledger."""

    async def create(
        self, new: NewDelivery, lease_owner: str, lease_ms: int, sending_text: str = ""
    ) -> Delivery | None:
        """Records a pending delivery leased to `lease_owner` (with `sending_text`: `sending`,
        that text its part 0, recorded `sending`); None when the key is taken."""
        ...

    async def get_by_key(self, key: str) -> Delivery: ...

    async def claim(
        self, connectors: Sequence[str], owner: str, lease_ms: int, limit: int, wait_ms: int
    ) -> list[Delivery]: ...

    async def record(self, delivery_id: str, owner: str, step: PartStep, lease_ms: int) -> Delivery:
        """Raises svckit.errors.Aborted / FailedPrecondition when the row is not ours any more."""
        ...


class Gateway(Protocol):
    """The gateway: inbound messages (journaled there) and the command catalogue."""

    async def handle(self, message: InboundMessage) -> HandleOutcome: ...

    async def commands(self) -> Sequence[Command]: ...


class Leases(Protocol):
    """The store's leader leases; acquire/renew raise svckit.errors.Aborted when held by
    another holder."""

    async def acquire(self, name: str, holder: str, ttl_ms: int) -> int:
        """Takes the lease; its fencing token."""
        ...

    async def renew(self, name: str, holder: str, ttl_ms: int) -> int:
        """Extends the lease; its fencing token."""
        ...

    async def release(self, name: str, holder: str) -> None: ...


class Components(Protocol):
    """The store's heartbeat components."""

    async def report(self, components: Sequence[ComponentReport]) -> None: ...


@dataclass(frozen=True)
class Deps:
    """The connectors service's collaborators. Without a ledger nothing is delivered and
    Publish is unavailable; `disabled` names the platforms left out, with the reason."""

    ledger: Ledger | None = None
    gateway: Gateway | None = None
    leases: Leases | None = None
    components: Components | None = None
    adapters: Sequence[Adapter] = ()
    attachments: Attachments | None = None  # where chats' markdown files are saved
    disabled: Mapping[str, str] = field(default_factory=dict)
    holder: str = "connectors"  # this replica, unique among replicas (host:pid:random)
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
