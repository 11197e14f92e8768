"""What a chat command sees and returns, and the catalogue entry it is registered with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from agent_runtime.store.v1 import workspace_pb2
from gateway_svc.deps import ApprovalStore, PairingStore, TaskQueue
from gateway_svc.message_clients import (
    OrchestratorTurns,
    QmdIndex,
    SchedulerObjectives,
    StoreContexts,
)

ADMIN_ROLES = ("admin", "overlord")
NO_LINK = "Access denied: link your admin identity first."
NOT_ADMIN = "Access denied: admin role required."
T = TypeVar("T")


class Denied(Exception):
    """A command refused; its message is the reply."""


@dataclass(frozen=True)
class Message:
    """One inbound chat message, as the connector (or the REST caller) described it."""

    connector: str
    external_id: str
    display_name: str
    from_user_id: str
    text: str
    direct: bool = True
    mentioned: bool = False
    from_display_name: str = ""


@dataclass(frozen=True)
class Sender:
    """Who sent it: the verified user behind the chat account (or the admin certificate of a
    REST/CLI caller) and that user's role; unlinked senders have neither."""

    user_id: str = ""
    role: str = ""

    @property
    def linked(self) -> bool:
        return bool(self.user_id)

    @property
    def is_admin(self) -> bool:
        return self.role.lower() in ADMIN_ROLES


@dataclass(frozen=True)
class Tools:
    """The collaborators commands use; a missing one makes its commands say so."""

    contexts: StoreContexts | None = None
    turns: OrchestratorTurns | None = None
    qmd: QmdIndex | None = None
    scheduler: SchedulerObjectives | None = None
    approvals: ApprovalStore | None = None
    tasks: TaskQueue | None = None
    pairings: PairingStore | None = None
    clock: Callable[[], float] = field(default=lambda: 0.0)


@dataclass(frozen=True)
class Call:
    """One command invocation."""

    msg: Message
    context: workspace_pb2.Context
    sender: Sender
    arg: str
    tools: Tools

    def require_admin(self) -> str:
        """The sender's user id, or Denied saying what is missing."""
        if not self.sender.linked:
            raise Denied(NO_LINK)
        if not self.sender.is_admin:
            raise Denied(NOT_ADMIN)
        return self.sender.user_id


class Handler(Protocol):
    def __call__(self, call: Call) -> Awaitable[str]: ...


@dataclass(frozen=True)
class Command:
    """A catalogue entry: name (no slash), description, argument, permission, handler."""

    name: str
    description: str
    run: Handler
    argument: str = ""
    argument_description: str = ""
    required: bool = False
    admin: bool = False


def need(dep: T | None, reply: str) -> T:
    """`dep`, or Denied with `reply` when the gateway runs without it."""
    if dep is None:
        raise Denied(reply)
    return dep
