"""Typed async facades over other services' stubs.

The store facades turn a failed call back into the domain error the store raised
(`svckit.errors.from_rpc_error`), so its code and details reach our own callers unchanged:
the store's NOT_FOUND stays a 404 on /api/v1, its INVALID_ARGUMENT keeps its `field`.
The store's ApprovalService facade is shared with the orchestrator
(`store_svc.client.StoreApprovals`)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_pb2, identity_pb2, pairing_pb2
from agent_runtime.store.v1 import identity_service_pb2 as irpc
from agent_runtime.store.v1 import pairing_service_pb2 as prpc
from agent_runtime.store.v1.identity_service_pb2_grpc import IdentityServiceStub
from agent_runtime.store.v1.pairing_service_pb2_grpc import PairingServiceStub
from gateway_svc.deps import IdentityQuery
from svckit.calls import call
from svckit.healthcheck import health_stub
from svckit.interceptors import ACTING_ADMIN

_STORE = "/agent_runtime.store.v1."

# Store reads the gateway may retry when the store is briefly UNAVAILABLE (open_channel).
STORE_RETRY_METHODS = (
    f"{_STORE}PairingService/LookupPairing",
    f"{_STORE}IdentityService/ListIdentities",
    f"{_STORE}ApprovalService/GetApproval",
    f"{_STORE}ApprovalService/ListApprovals",
)


class GrpcHealthProbe:
    """Checks a backend's overall gRPC Health (service "") over an mTLS channel."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = health_stub(channel)
        self._timeout = timeout

    async def check(self) -> str:
        request = health_pb2.HealthCheckRequest()
        reply = await call(self._stub.Check, request, deadline_s=self._timeout)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


class StorePairings:
    """The store's PairingService."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = PairingServiceStub(channel)

    async def create(
        self, connector: str, connector_user_id: str, display_name: str, expires_in_sec: int
    ) -> tuple[pairing_pb2.PairingRequest, str]:
        """The new pending request and its plaintext token (the only time it is known)."""
        request = prpc.CreatePairingRequest(
            connector=connector,
            connector_user_id=connector_user_id,
            display_name=display_name,
            expires_in_sec=expires_in_sec,
        )
        reply: prpc.CreatePairingResponse = await call(self._stub.CreatePairing, request)
        return reply.pairing, reply.token

    async def lookup(self, token: str) -> pairing_pb2.PairingRequest:
        request = prpc.LookupPairingRequest(token=token)
        reply: prpc.LookupPairingResponse = await call(self._stub.LookupPairing, request)
        return reply.pairing

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]:
        request = prpc.ApprovePairingRequest(
            token=token, approver_user_id=approver, role=role, target_user_id=target_user_id
        )
        reply: prpc.ApprovePairingResponse = await call(self._stub.ApprovePairing, request)
        return reply.pairing, reply.identity

    async def deny(self, token: str, approver: str, reason: str) -> pairing_pb2.PairingRequest:
        request = prpc.DenyPairingRequest(token=token, approver_user_id=approver, reason=reason)
        reply: prpc.DenyPairingResponse = await call(self._stub.DenyPairing, request)
        return reply.pairing


class StoreIdentities:
    """The store's IdentityService."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = IdentityServiceStub(channel)

    async def list(
        self, query: IdentityQuery, page_size: int, page_token: str
    ) -> tuple[list[identity_pb2.Identity], str]:
        """One page, oldest first, and the token of the next page ("" on the last)."""
        request = irpc.ListIdentitiesRequest(
            connector=query.connector,
            user_id=query.user_id,
            role=query.role,
            include_revoked=query.include_revoked,
            page_size=page_size,
            page_token=page_token,
        )
        reply: irpc.ListIdentitiesResponse = await call(self._stub.ListIdentities, request)
        return list(reply.items), reply.next_page_token

    async def set_role(self, identity_id: str, role: str, actor: str) -> identity_pb2.Identity:
        request = irpc.SetUserRoleRequest(identity_id=identity_id, role=role, actor=actor)
        reply: irpc.SetUserRoleResponse = await call(self._stub.SetUserRole, request)
        return reply.identity

    async def revoke(self, identity_id: str, actor: str, reason: str) -> identity_pb2.Identity:
        """The identity, revoked (status, time and reason as the store recorded them)."""
        request = irpc.RevokeIdentityRequest(identity_id=identity_id, actor=actor, reason=reason)
        reply: irpc.RevokeIdentityResponse = await call(self._stub.RevokeIdentity, request)
        return reply.identity


class OrchestratorTasks:
    """The orchestrator's EnqueueTask, for the tasks that execute approved actions."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = OrchestratorServiceStub(channel)

    async def enqueue_action(self, approval: approval_pb2.ActionApproval, acting_admin: str) -> str:
        request = orpc.EnqueueTaskRequest(
            workspace_id=approval.workspace_id,
            context_id=approval.context_id,
            kind="action",
            run_key=f"approval:{approval.id}",
            title=action_title(approval),
            prompt=action_prompt(approval),
            source_connector=approval.connector,
            source_external_id=approval.external_id,
            source_user_id=approval.requester_user_id,
            source_text=approval.action_summary,
        )
        # The orchestrator records the admin behind it as the actor of the queueing.
        metadata = ((ACTING_ADMIN, acting_admin),)
        reply: orpc.EnqueueTaskResponse = await call(
            self._stub.EnqueueTask, request, metadata=metadata
        )
        return reply.task.id


def action_title(approval: approval_pb2.ActionApproval) -> str:
    what = approval.action_summary or approval.action_target
    title = f"Approved action {approval.action_type}" + (f": {what}" if what else "")
    return title if len(title) <= 200 else title[:199] + "…"


def action_prompt(approval: approval_pb2.ActionApproval) -> str:
    """What the action is; its arguments stay with the approval (they may be sensitive), the
    executor reads them by the approval id."""
    lines = [
        f"Execute the approved action {approval.id} once.",
        f"Action type: {approval.action_type}",
        f"Target: {approval.action_target or '-'}",
        f"Summary: {approval.action_summary or '-'}",
        f"Requested by {approval.requester_user_id} in {approval.connector}:"
        f"{approval.external_id}; approved by {approval.approver_user_id}.",
        "Arguments: see the approval (payload_json).",
    ]
    return "\n".join(lines)
