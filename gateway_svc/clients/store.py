"""The store's facades the gateway alone uses: pairings, identities and workspace roles,
contexts, task routing, the delivery ledger and the heartbeat components, and the store reads
the channel may retry. (The journal is in `journal.py`, the approvals in
`store_svc.client.StoreApprovals`.)"""

from __future__ import annotations

import grpc

from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import identity_pb2, pairing_pb2, workspace_pb2
from agent_runtime.store.v1 import identity_service_pb2 as irpc
from agent_runtime.store.v1 import pairing_service_pb2 as prpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.identity_service_pb2_grpc import IdentityServiceStub
from agent_runtime.store.v1.pairing_service_pb2_grpc import PairingServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from gateway_svc.deps import IdentityQuery
from gateway_svc.heartbeat import Stored
from svckit.calls import call

_STORE = "/agent_runtime.store.v1."

# Store reads the gateway may retry when the store is briefly UNAVAILABLE (open_channel).
STORE_RETRY_METHODS = (
    f"{_STORE}PairingService/LookupPairing",
    f"{_STORE}IdentityService/ListIdentities",
    f"{_STORE}ApprovalService/GetApproval",
    f"{_STORE}ApprovalService/ListApprovals",
)


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

    async def list(
        self, status: str, page_size: int, page_token: str
    ) -> tuple[list[pairing_pb2.PairingRequest], str]:
        """One page of requests and the token of the next page ("" on the last)."""
        request = prpc.ListPairingsRequest(
            status=status, page_size=page_size, page_token=page_token
        )
        reply: prpc.ListPairingsResponse = await call(self._stub.ListPairings, request)
        return list(reply.items), reply.next_page_token

    async def approve(
        self, token: str, approver: str, role: str, target_user_id: str, workspace_id: str = ""
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]:
        request = prpc.ApprovePairingRequest(
            token=token,
            approver_user_id=approver,
            role=role,
            target_user_id=target_user_id,
            workspace_id=workspace_id,
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


class StoreContexts:
    """The store's contexts (one per connector chat) and roles per workspace."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._ws = WorkspaceServiceStub(channel)
        self._ids = IdentityServiceStub(channel)

    async def update(
        self, context_id: str, *, is_admin: bool | None = None, prompt: str | None = None
    ) -> workspace_pb2.Context:
        request = wrpc.UpdateContextRequest(id=context_id)
        if is_admin is not None:
            request.is_admin = is_admin
        if prompt is not None:
            request.system_prompt = prompt
        reply = await call(self._ws.UpdateContext, request)
        return reply.context

    async def workspace_role(self, user_id: str, workspace_id: str) -> str:
        """The user's role in that workspace (set there, else the user's own; overlord
        everywhere)."""
        request = irpc.GetWorkspaceRoleRequest(user_id=user_id, workspace_id=workspace_id)
        reply = await call(self._ids.GetWorkspaceRole, request)
        return str(reply.role)

    async def set_workspace_role(self, user_id: str, workspace_id: str, role: str) -> str:
        request = irpc.SetWorkspaceRoleRequest(
            user_id=user_id, workspace_id=workspace_id, role=role
        )
        reply = await call(self._ids.SetWorkspaceRole, request)
        return str(reply.role)


class StoreRouting:
    """The store's UpdateTaskRouting (a /route override)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = TaskServiceStub(channel)

    async def update(
        self, task_id: str, route_class: str, priority: str, due: int, lane: str
    ) -> None:
        request = trpc.UpdateTaskRoutingRequest(
            id=task_id, route_class=route_class, priority=priority, due_at_unix=due,
            assigned_lane=lane,
        )  # fmt: skip
        await call(self._stub.UpdateTaskRouting, request)


class StoreOutbox:
    """The store's delivery ledger: a pending delivery row per reply, sent by the connectors.
    A late turn reply is written by the store, once, under `turn:<task id>`."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = DeliveryServiceStub(channel)

    async def deliver_turn_reply(self, task_id: str, connector: str, chat_id: str) -> None:
        request = drpc.DeliverTurnReplyRequest(
            task_id=task_id, connector=connector, chat_id=chat_id
        )
        await call(self._stub.DeliverTurnReply, request)


class StoreComponents:
    """The heartbeat components processes report to the store (connectors, …)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = ComponentServiceStub(channel)

    async def list_components(self) -> tuple[list[Stored], int]:
        reply: crpc.ListComponentsResponse = await call(
            self._stub.ListComponents, crpc.ListComponentsRequest()
        )
        items = [
            Stored(c.name, c.state, c.message, c.error, c.last_beat_at_ms, c.updated_at_ms,
                   c.stale_after_ms)
            for c in reply.items
        ]  # fmt: skip
        return items, reply.now_ms
