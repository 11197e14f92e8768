"""The GatewayService servicer: one thin async method per RPC (proto -> domain -> proto).

RPCs that later issues implement answer UNIMPLEMENTED until then, never a fake success. They
are spelled out rather than inherited: the generated base raises NotImplementedError, which
the server wrapper reports as INTERNAL, and mypy-protobuf declares its methods abstract."""

from __future__ import annotations

import asyncio
from typing import Any

from agent_runtime.gateway.v1 import resources_pb2, service_pb2, service_pb2_grpc
from gateway_svc import heartbeat
from gateway_svc.approvals import Approvals
from gateway_svc.deps import Deps, HealthProbe, need
from gateway_svc.identities import Identities
from gateway_svc.pairing import Pairings
from svckit import errors

NAME = "agent-runtime"
SELF = "gateway"
_PAIRINGS = "the store's PairingService"
_IDENTITIES = "the store's IdentityService"
_APPROVALS = "the store's ApprovalService"


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
        components.sort(key=lambda c: c.name)
        return service_pb2.GetHeartbeatResponse(
            generated_at_unix=now,
            overall=heartbeat.overall([c.state for c in components]),
            components=[_component_pb(c) for c in components],
        )

    async def HandleMessage(
        self, request: service_pb2.HandleMessageRequest, context: Any
    ) -> service_pb2.HandleMessageResponse:
        raise errors.Unimplemented("HandleMessage is not implemented yet")

    async def Chat(
        self, request: service_pb2.ChatRequest, context: Any
    ) -> service_pb2.ChatResponse:
        raise errors.Unimplemented("Chat is not implemented yet")

    async def StartPairing(
        self, request: service_pb2.StartPairingRequest, context: Any
    ) -> service_pb2.StartPairingResponse:
        return await need(self._pairings, _PAIRINGS).start(request)

    async def LookupPairing(
        self, request: service_pb2.LookupPairingRequest, context: Any
    ) -> service_pb2.LookupPairingResponse:
        return await need(self._pairings, _PAIRINGS).lookup(request)

    async def ApprovePairing(
        self, request: service_pb2.ApprovePairingRequest, context: Any
    ) -> service_pb2.ApprovePairingResponse:
        return await need(self._pairings, _PAIRINGS).approve(request)

    async def DenyPairing(
        self, request: service_pb2.DenyPairingRequest, context: Any
    ) -> service_pb2.DenyPairingResponse:
        return await need(self._pairings, _PAIRINGS).deny(request)

    async def ListApprovals(
        self, request: service_pb2.ListApprovalsRequest, context: Any
    ) -> service_pb2.ListApprovalsResponse:
        return await need(self._approvals, _APPROVALS).list(request)

    async def GetApproval(
        self, request: service_pb2.GetApprovalRequest, context: Any
    ) -> service_pb2.GetApprovalResponse:
        return await need(self._approvals, _APPROVALS).get(request)

    async def ApproveAction(
        self, request: service_pb2.ApproveActionRequest, context: Any
    ) -> service_pb2.ApproveActionResponse:
        return await need(self._approvals, _APPROVALS).approve(request)

    async def DenyAction(
        self, request: service_pb2.DenyActionRequest, context: Any
    ) -> service_pb2.DenyActionResponse:
        return await need(self._approvals, _APPROVALS).deny(request)

    async def ListIdentities(
        self, request: service_pb2.ListIdentitiesRequest, context: Any
    ) -> service_pb2.ListIdentitiesResponse:
        return await need(self._identities, _IDENTITIES).list(request)

    async def SetIdentityRole(
        self, request: service_pb2.SetIdentityRoleRequest, context: Any
    ) -> service_pb2.SetIdentityRoleResponse:
        return await need(self._identities, _IDENTITIES).set_role(request)

    async def RevokeIdentity(
        self, request: service_pb2.RevokeIdentityRequest, context: Any
    ) -> service_pb2.RevokeIdentityResponse:
        return await need(self._identities, _IDENTITIES).revoke(request)


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
        base_state=c.state,
        message=c.message,
        error=c.error,
        updated_at_unix=c.updated_at_unix,
        stale=False,
    )
    if c.last_beat_at_unix is not None:
        pb.last_beat_at_unix = c.last_beat_at_unix
    return pb
