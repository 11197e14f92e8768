"""What the gateway is built from, each collaborator typed as a small Protocol. Later issues
add the qmd and scheduler clients here."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from agent_runtime.store.v1 import approval_pb2, identity_pb2, pairing_pb2
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

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]: ...

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


def need(dep: T | None, what: str) -> T:
    """`dep`, or UNAVAILABLE when the gateway was built without it."""
    if dep is None:
        raise errors.Unavailable(f"{what} is not configured in this gateway")
    return dep
