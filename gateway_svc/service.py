"""The GatewayService servicer: one thin async method per RPC (proto -> domain -> proto).

RPCs that later issues implement answer UNIMPLEMENTED until then, never a fake success. They
are spelled out rather than inherited: the generated base raises NotImplementedError, which
the server wrapper reports as INTERNAL, and mypy-protobuf declares its methods abstract."""

from __future__ import annotations

import asyncio
from typing import Any

from agent_runtime.gateway.v1 import resources_pb2, service_pb2, service_pb2_grpc
from gateway_svc import commands, convert, heartbeat
from gateway_svc.approvals import Approvals
from gateway_svc.chat import chat_message
from gateway_svc.commands.base import Sender
from gateway_svc.deps import Deps, HealthProbe, IdentityQuery, need
from gateway_svc.identities import Identities
from gateway_svc.inbox import build_inbox
from gateway_svc.pairing import Pairings
from svckit import callctx, errors

NAME = "agent-runtime"
SELF = "gateway"
_PAIRINGS = "the store's PairingService"
_IDENTITIES = "the store's IdentityService"
_APPROVALS = "the store's ApprovalService"
_MESSAGES = "the store's journal and contexts"


class GatewayServicer(service_pb2_grpc.GatewayServiceServicer):
    """Serves agent_runtime.gateway.v1.GatewayService."""

    def __init__(self, deps: Deps, *, env: str, public_host: str, admin_host: str) -> None:
        self._deps = deps
        self._info = service_pb2.GetInfoResponse(
            name=NAME,
            environment=env,
            public_host=public_host,
            admin_host=admin_host,
            # MCP is not built yet: no server is enabled, which is what the counts say.
            mcp=resources_pb2.McpInfo(),
            version=deps.version,
        )
        self._last_beat: dict[str, int] = {}
        self._pairings = Pairings(deps.pairings) if deps.pairings else None
        self._identities = Identities(deps.identities) if deps.identities else None
        self._approvals = Approvals(deps.approvals, deps.tasks) if deps.approvals else None
        self._inbox = build_inbox(deps)

    async def stop(self) -> None:
        """Lets messages in hand finish; replies of pending turns are the store's to deliver."""
        if self._inbox is not None:
            await self._inbox.stop()

    async def GetInfo(
        self, request: service_pb2.GetInfoRequest, context: Any
    ) -> service_pb2.GetInfoResponse:
        return self._info

    async def GetHeartbeat(
        self, request: service_pb2.GetHeartbeatRequest, context: Any
    ) -> service_pb2.GetHeartbeatResponse:
        probes = await asyncio.gather(*(_probe(name, p) for name, p in self._deps.probes.items()))
        now = int(self._deps.clock())
        # This process answers, so the gateway itself is serving.
        components = [heartbeat.component(heartbeat.Probe(SELF, "SERVING"), now, None)]
        for probe in probes:
            c = heartbeat.component(probe, now, self._last_beat.get(probe.name))
            if c.state == heartbeat.HEALTHY:
                self._last_beat[probe.name] = now
            components.append(c)
        components = heartbeat.merged([*components, *await self._stored()])
        return service_pb2.GetHeartbeatResponse(
            generated_at_unix=now,
            overall=heartbeat.overall([c.state for c in components]),
            components=[_component_pb(c) for c in components],
        )

    async def _stored(self) -> list[heartbeat.Component]:
        """The components processes reported to the store; none when it cannot say (its
        own probe then says why)."""
        if self._deps.components is None:
            return []
        try:
            stored, now_ms = await self._deps.components.list_components()
        except (errors.DomainError, TimeoutError, OSError):
            return []
        return [heartbeat.stored_component(s, now_ms) for s in stored]

    async def HandleMessage(
        self, request: service_pb2.HandleMessageRequest, context: Any
    ) -> service_pb2.HandleMessageResponse:
        inbox = need(self._inbox, _MESSAGES)
        return convert.handled(await inbox.handle(convert.inbound(request), request.message_id))

    async def Chat(
        self, request: service_pb2.ChatRequest, context: Any
    ) -> service_pb2.ChatResponse:
        inbox = need(self._inbox, _MESSAGES)
        who = callctx.require_admin()  # the REST/CLI caller speaks as its admin certificate
        msg = chat_message(
            who,
            request.connector,
            request.external_id,
            request.display_name,
            request.from_user_id,
            request.text,
        )
        out = await inbox.handle(msg, request.message_id, Sender(who, "admin"))
        return convert.chatted(out)

    async def ListCommands(
        self, request: service_pb2.ListCommandsRequest, context: Any
    ) -> service_pb2.ListCommandsResponse:
        return service_pb2.ListCommandsResponse(
            commands=[convert.chat_command(c) for c in commands.catalogue()]
        )

    async def StartPairing(
        self, request: service_pb2.StartPairingRequest, context: Any
    ) -> service_pb2.StartPairingResponse:
        row, token = await need(self._pairings, _PAIRINGS).start(
            request.connector,
            request.connector_user_id,
            request.display_name,
            request.expires_in_sec,
        )
        return service_pb2.StartPairingResponse(
            id=row.id,
            token=token,
            token_hint=row.token_hint,
            connector=row.connector,
            connector_user_id=row.connector_user_id,
            display_name=row.display_name,
            status=row.status,
            expires_at_unix=row.expires_at_unix,
        )

    async def LookupPairing(
        self, request: service_pb2.LookupPairingRequest, context: Any
    ) -> service_pb2.LookupPairingResponse:
        row = await need(self._pairings, _PAIRINGS).lookup(request.token)
        return service_pb2.LookupPairingResponse(pairing=convert.pairing(row))

    async def ListPairings(
        self, request: service_pb2.ListPairingsRequest, context: Any
    ) -> service_pb2.ListPairingsResponse:
        rows, token = await need(self._pairings, _PAIRINGS).list(
            request.status, request.limit, request.page_token
        )
        items = [convert.pairing(r) for r in rows]
        return service_pb2.ListPairingsResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def ApprovePairing(
        self, request: service_pb2.ApprovePairingRequest, context: Any
    ) -> service_pb2.ApprovePairingResponse:
        row, ident = await need(self._pairings, _PAIRINGS).approve(
            request.token,
            request.approver_user_id,
            request.role,
            request.target_user_id,
            request.workspace_id,
        )
        return service_pb2.ApprovePairingResponse(
            id=row.id,
            status=row.status,
            approved_user_id=row.approved_user_id,
            approver_user_id=row.approver_user_id,
            identity_id=ident.id,
            connector=row.connector,
            connector_user_id=row.connector_user_id,
        )

    async def DenyPairing(
        self, request: service_pb2.DenyPairingRequest, context: Any
    ) -> service_pb2.DenyPairingResponse:
        row = await need(self._pairings, _PAIRINGS).deny(
            request.token, request.approver_user_id, request.reason
        )
        return service_pb2.DenyPairingResponse(
            id=row.id,
            status=row.status,
            approver_user_id=row.approver_user_id,
            denied_reason=row.denied_reason,
        )

    async def ListApprovals(
        self, request: service_pb2.ListApprovalsRequest, context: Any
    ) -> service_pb2.ListApprovalsResponse:
        rows, token = await need(self._approvals, _APPROVALS).list(
            status=request.status,
            workspace_id=request.workspace_id,
            context_id=request.context_id,
            connector=request.connector,
            external_id=request.external_id,
            limit=request.limit,
            page_token=request.page_token,
        )
        items = [convert.approval(r) for r in rows]
        return service_pb2.ListApprovalsResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def GetApproval(
        self, request: service_pb2.GetApprovalRequest, context: Any
    ) -> service_pb2.GetApprovalResponse:
        row = await need(self._approvals, _APPROVALS).get(request.id)
        return service_pb2.GetApprovalResponse(approval=convert.approval(row))

    async def ApproveAction(
        self, request: service_pb2.ApproveActionRequest, context: Any
    ) -> service_pb2.ApproveActionResponse:
        row, task_id, done = await need(self._approvals, _APPROVALS).approve(
            request.id, request.wait_ms
        )
        return service_pb2.ApproveActionResponse(
            approval=convert.approval(row), task_id=task_id, completed=done
        )

    async def DenyAction(
        self, request: service_pb2.DenyActionRequest, context: Any
    ) -> service_pb2.DenyActionResponse:
        row = await need(self._approvals, _APPROVALS).deny(request.id, request.reason)
        return service_pb2.DenyActionResponse(approval=convert.approval(row))

    async def ListIdentities(
        self, request: service_pb2.ListIdentitiesRequest, context: Any
    ) -> service_pb2.ListIdentitiesResponse:
        query = IdentityQuery(
            connector=request.connector,
            user_id=request.user_id,
            role=request.role,
            include_revoked=request.include_revoked,
        )
        rows, token = await need(self._identities, _IDENTITIES).list(
            query, request.limit, request.page_token
        )
        items = [convert.identity(r) for r in rows]
        return service_pb2.ListIdentitiesResponse(
            items=items, count=len(items), next_page_token=token
        )

    async def SetIdentityRole(
        self, request: service_pb2.SetIdentityRoleRequest, context: Any
    ) -> service_pb2.SetIdentityRoleResponse:
        row = await need(self._identities, _IDENTITIES).set_role(request.id, request.role)
        return service_pb2.SetIdentityRoleResponse(identity=convert.identity(row))

    async def RevokeIdentity(
        self, request: service_pb2.RevokeIdentityRequest, context: Any
    ) -> service_pb2.RevokeIdentityResponse:
        row = await need(self._identities, _IDENTITIES).revoke(request.id, request.reason)
        return service_pb2.RevokeIdentityResponse(identity=convert.identity(row))


async def _probe(name: str, probe: HealthProbe) -> heartbeat.Probe:
    try:
        return heartbeat.Probe(name, status=await probe.check())
    except errors.DomainError as exc:
        return heartbeat.Probe(name, error=f"{exc.code}: {exc.message}".strip())
    except (TimeoutError, OSError) as exc:
        return heartbeat.Probe(name, error=f"{type(exc).__name__}: {exc}")


def _component_pb(c: heartbeat.Component) -> resources_pb2.HeartbeatComponent:
    pb = resources_pb2.HeartbeatComponent(
        name=c.name,
        state=c.state,
        base_state=c.base_state or c.state,
        message=c.message,
        error=c.error,
        updated_at_unix=c.updated_at_unix,
        stale=c.stale,
    )
    if c.last_beat_at_unix is not None:
        pb.last_beat_at_unix = c.last_beat_at_unix
    return pb
