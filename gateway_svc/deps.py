"""What the gateway is built from, each collaborator typed as a small Protocol."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.qmd.v1 import resources_pb2 as qres
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.store.v1 import (
    approval_pb2,
    identity_pb2,
    pairing_pb2,
    workspace_pb2,
)
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from gateway_svc.heartbeat import Stored
from svckit import errors

T = TypeVar("T")


class HealthProbe(Protocol):
    """Asks one backend for its gRPC Health status."""

    async def check(self) -> str:
        """The status name (SERVING, NOT_SERVING, …); raises svckit.errors on an RPC
        failure (OSError or TimeoutError when there was no answer at all)."""
        ...


class PairingStore(Protocol):
    """Pairing requests in the store; failures raise svckit.errors.*."""

    async def create(
        self, connector: str, connector_user_id: str, display_name: str, expires_in_sec: int
    ) -> tuple[pairing_pb2.PairingRequest, str]: ...

    async def lookup(self, token: str) -> pairing_pb2.PairingRequest: ...

    async def list(
        self, status: str, page_size: int, page_token: str
    ) -> tuple[list[pairing_pb2.PairingRequest], str]: ...

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str, workspace_id: str = ""
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]:
        """With `workspace_id`, role admin is that workspace's only (one transaction)."""
        ...

    async def deny(self, token: str, approver: str, reason: str) -> pairing_pb2.PairingRequest: ...


@dataclass(frozen=True)
class IdentityQuery:
    """Which linked identities to list: exact-match filters ("" matches every value) and
    whether revoked links are included."""

    connector: str = ""
    user_id: str = ""
    role: str = ""
    include_revoked: bool = False


class IdentityStore(Protocol):
    """Linked identities and their users' roles in the store (the store audits changes)."""

    async def list(
        self, query: IdentityQuery, page_size: int, page_token: str
    ) -> tuple[builtins.list[identity_pb2.Identity], str]:
        """One page, oldest first, and the token of the next page ("" on the last)."""
        ...

    async def set_role(self, identity_id: str, role: str, actor: str) -> identity_pb2.Identity: ...

    async def revoke(self, identity_id: str, actor: str, reason: str) -> identity_pb2.Identity: ...


class ApprovalStore(Protocol):
    """Action approvals in the store."""

    async def get(self, approval_id: str) -> approval_pb2.ActionApproval: ...

    async def list(
        self, filters: Mapping[str, str], limit: int, page_token: str
    ) -> tuple[builtins.list[approval_pb2.ActionApproval], str]:
        """One page, oldest first, and the next page's token ("" on the last). `filters`:
        status ("" for every status), workspace_id, context_id, connector, external_id."""

    async def decide(
        self, approval_id: str, approve: bool, approver: str, reason: str
    ) -> approval_pb2.ActionApproval:
        """One conditional decision of a pending, unexpired approval; FAILED_PRECONDITION
        when it is expired or already decided, NOT_FOUND when unknown."""
        ...


class TaskQueue(Protocol):
    """The orchestrator's EnqueueTask."""

    async def enqueue_action(self, approval: approval_pb2.ActionApproval, acting_admin: str) -> str:
        """The id of the task (kind action, run_key `approval:<id>`) that executes an
        approved action: created once, found on every later call."""
        ...


class Journal(Protocol):
    """The store's inbound journal (one entry per connector + chat + platform message id)."""

    async def begin(
        self, msg: InboundMessage, message_id: str, resolve_sender: bool
    ) -> jrpc.BeginInboundResponse:
        """The entry and whether it was journaled before (a redelivery); for a new message
        also the chat's context (made on the chat's first message) and, with
        `resolve_sender`, the sender's verified identity and its role in that workspace,
        all from the store's one transaction."""
        ...

    async def complete(self, entry_id: str, status: str, outcome: str) -> None: ...


class InboundMessage(Protocol):
    """What the journal reads of a message (gateway_svc.commands.base.Message)."""

    @property
    def connector(self) -> str: ...
    @property
    def external_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def from_user_id(self) -> str: ...
    @property
    def text(self) -> str: ...


class Contexts(Protocol):
    """The store's chat contexts and roles per workspace (a message's own context and sender
    come with its journal entry: `Journal.begin`)."""

    async def update(
        self, context_id: str, *, is_admin: bool | None = None, prompt: str | None = None
    ) -> workspace_pb2.Context: ...

    async def workspace_role(self, user_id: str, workspace_id: str) -> str: ...

    async def set_workspace_role(self, user_id: str, workspace_id: str, role: str) -> str: ...


class Turns(Protocol):
    """The orchestrator's RunTurn and EnqueueTask."""

    async def run_turn(self, request: orpc.RunTurnRequest) -> orpc.RunTurnResponse: ...

    async def enqueue(self, request: orpc.EnqueueTaskRequest) -> ores.Task: ...

    async def get_task(self, task_id: str) -> ores.Task: ...


class Routing(Protocol):
    """The store's task routing override (class, priority, due time, lane)."""

    async def update(
        self, task_id: str, route_class: str, priority: str, due: int, lane: str
    ) -> None: ...


class Knowledge(Protocol):
    """qmd over one workspace."""

    async def search(self, workspace_id: str, query: str, limit: int) -> list[qres.SearchHit]: ...

    async def open(self, workspace_id: str, target: str) -> qres.Document: ...

    async def status(self, workspace_id: str) -> qres.IndexStatus: ...


class Objectives(Protocol):
    """The scheduler's CreateObjective; the new objective's id."""

    async def create(self, request: spb.CreateObjectiveRequest) -> str: ...


class Outbox(Protocol):
    """The store's delivery ledger: the reply of a turn that outlived the wait goes to a chat
    (written once, by the store, whenever the turn finishes)."""

    async def deliver_turn_reply(self, task_id: str, connector: str, chat_id: str) -> None: ...


class ComponentStore(Protocol):
    """The heartbeat components processes report to the store, and the store's time."""

    async def list_components(self) -> tuple[list[Stored], int]: ...


@dataclass(frozen=True)
class Deps:
    """The gateway's collaborators. A store facade left out (tests of other RPCs) makes its
    RPCs answer UNAVAILABLE."""

    version: str
    # Backend name (store, orchestrator, …) -> its Health probe, for the heartbeat.
    probes: Mapping[str, HealthProbe] = field(default_factory=dict)
    clock: Callable[[], float] = field(default=lambda: 0.0)
    pairings: PairingStore | None = None
    identities: IdentityStore | None = None
    approvals: ApprovalStore | None = None
    tasks: TaskQueue | None = None
    # What chat messages use (gateway_svc.inbox); without journal and contexts HandleMessage
    # and Chat answer UNAVAILABLE.
    journal: Journal | None = None
    contexts: Contexts | None = None
    turns: Turns | None = None
    qmd: Knowledge | None = None
    scheduler: Objectives | None = None
    outbox: Outbox | None = None
    routing: Routing | None = None
    # Stored heartbeat components (connectors, …) shown beside the live Health probes.
    components: ComponentStore | None = None
    # How long a conversation message waits for its turn (AGENT_RUNTIME_TURN_WAIT_SECONDS).
    turn_wait_ms: int = 30_000
    # How long /approve-action waits for the action's outcome (AGENT_RUNTIME_APPROVAL_WAIT_SECONDS).
    approval_wait_ms: int = 10_000
    # Where the chat logs and context summaries are written (<root>/<workspace id>/…);
    # None: not written.
    workspace_root: Path | None = None


def need(dep: T | None, what: str) -> T:
    """`dep`, or UNAVAILABLE when the gateway was built without it."""
    if dep is None:
        raise errors.Unavailable(f"{what} is not configured in this gateway")
    return dep
