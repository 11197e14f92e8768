"""What a chat command sees and returns, and the catalogue entry it is registered with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from agent_runtime.store.v1 import workspace_pb2
from gateway_svc.deps import (
    ApprovalStore,
    Contexts,
    Knowledge,
    Objectives,
    PairingStore,
    Routing,
    TaskQueue,
    Turns,
)

ADMIN_ROLES = ("admin", "overlord")
NO_LINK = "Access denied: link your admin identity first."
NOT_ADMIN = "Access denied: admin role required."
NOT_ADMIN_THERE = "Access denied: admin role required in that workspace."
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

    @property
    def is_certificate(self) -> bool:
        """A REST/CLI caller with an admin certificate: that admin, in every workspace."""
        return self.user_id.startswith("admin:")


@dataclass(frozen=True)
class Tools:
    """The collaborators commands use; a missing one makes its commands say so."""

    contexts: Contexts | None = None
    turns: Turns | None = None
    qmd: Knowledge | None = None
    scheduler: Objectives | None = None
    approvals: ApprovalStore | None = None
    tasks: TaskQueue | None = None
    pairings: PairingStore | None = None
    routing: Routing | None = None
    clock: Callable[[], float] = field(default=lambda: 0.0)
    # how long /approve-action waits for the action's outcome to put it in the reply
    approval_wait_ms: int = 0


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

    async def may_decide_in(self, workspace_id: str) -> bool:
        """Whether the sender is admin of `workspace_id`: an admin certificate or an
        overlord anywhere, else the role the user has there (per workspace)."""
        if not self.sender.linked:
            return False
        if workspace_id == self.context.workspace_id:
            return self.sender.is_admin
        if self.sender.is_certificate or self.sender.role.lower() == "overlord":
            return True
        contexts = need(self.tools.contexts, NOT_ADMIN_THERE)
        return (await contexts.workspace_role(self.sender.user_id, workspace_id)) in ADMIN_ROLES

    async def require_admin_of(self, workspace_id: str) -> str:
        """The sender's user id when admin of `workspace_id`, else Denied saying what lacks."""
        if not self.sender.linked:
            raise Denied(NO_LINK)
        if not await self.may_decide_in(workspace_id):
            raise Denied(NOT_ADMIN_THERE)
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
