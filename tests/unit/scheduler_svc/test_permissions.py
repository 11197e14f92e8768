"""Who may pause, resume and delete (SPEC.md: an admin), over the real mTLS identities."""

from __future__ import annotations

import grpc

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import audit_service_pb2 as audit_rpc
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from svckit import testing
from tests.unit.scheduler_svc.conftest import AS_ADMIN, Stack, failure


async def _objective(stack: Stack) -> str:
    req = rpc.CreateObjectiveRequest(
        workspace_id="ws-1",
        context_id="ctx-1",
        title="t",
        prompt="p",
        trigger_type="schedule",
        cron_expr="@hourly",
    )
    # the gateway creates objectives (/monitor, REST)
    made: rpc.CreateObjectiveResponse = await stack.scheduler("svc:gateway").CreateObjective(
        req, timeout=5
    )
    return made.objective.id


async def _active(stack: Stack, oid: str) -> bool:
    got: rpc.GetObjectiveResponse = await stack.scheduler().GetObjective(
        rpc.GetObjectiveRequest(id=oid), timeout=5
    )
    return got.objective.active


async def test_gateway_pauses_only_for_an_admin(stack: Stack) -> None:
    oid = await _objective(stack)
    gateway = stack.scheduler("svc:gateway")
    pause = rpc.SetObjectiveActiveRequest(id=oid, active=False)

    denied = await failure(gateway.SetObjectiveActive(pause, timeout=5))
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    assert await _active(stack, oid)

    await gateway.SetObjectiveActive(pause, metadata=AS_ADMIN, timeout=5)
    assert not await _active(stack, oid)


async def test_admin_certificate_pauses_and_resumes(stack: Stack) -> None:
    oid = await _objective(stack)
    admin = stack.scheduler("admin:alice")
    await admin.SetObjectiveActive(rpc.SetObjectiveActiveRequest(id=oid, active=False), timeout=5)
    assert not await _active(stack, oid)
    await admin.SetObjectiveActive(rpc.SetObjectiveActiveRequest(id=oid, active=True), timeout=5)
    assert await _active(stack, oid)


async def test_the_gateway_may_edit_but_pauses_only_for_an_admin(stack: Stack) -> None:
    oid = await _objective(stack)
    gateway = stack.scheduler("svc:gateway")
    # no pausing through the back door of an update that sets `active`
    sneaky = await failure(
        gateway.UpdateObjective(
            rpc.UpdateObjectiveRequest(id=oid, active=False, title="renamed"), timeout=5
        )
    )
    assert sneaky.code == grpc.StatusCode.PERMISSION_DENIED
    got = await stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id=oid), timeout=5)
    assert got.objective.active and got.objective.title == "t"  # nothing changed

    edited = await gateway.UpdateObjective(
        rpc.UpdateObjectiveRequest(id=oid, title="renamed"), timeout=5
    )
    assert edited.objective.title == "renamed"


async def test_the_orchestrator_never_calls_the_scheduler(stack: Stack) -> None:
    # DESIGN.md §2: its agent tools go to the store's ObjectiveService
    oid = await _objective(stack)
    orchestrator = stack.scheduler("svc:orchestrator")
    calls = [
        orchestrator.CreateObjective(rpc.CreateObjectiveRequest(workspace_id="ws-1"), timeout=5),
        orchestrator.GetObjective(rpc.GetObjectiveRequest(id=oid), timeout=5),
        orchestrator.UpdateObjective(rpc.UpdateObjectiveRequest(id=oid, title="x"), timeout=5),
        orchestrator.SetObjectiveActive(rpc.SetObjectiveActiveRequest(id=oid), timeout=5),
    ]
    for pending in calls:
        assert (await failure(pending)).code == grpc.StatusCode.PERMISSION_DENIED
    assert await _active(stack, oid)


async def test_delete_needs_an_admin(stack: Stack) -> None:
    oid = await _objective(stack)
    for who in ("svc:orchestrator", "svc:gateway"):
        denied = await failure(
            stack.scheduler(who).DeleteObjective(rpc.DeleteObjectiveRequest(id=oid), timeout=5)
        )
        assert denied.code == grpc.StatusCode.PERMISSION_DENIED, who
    assert await _active(stack, oid)
    gone = await stack.scheduler("svc:gateway").DeleteObjective(
        rpc.DeleteObjectiveRequest(id=oid), metadata=AS_ADMIN, timeout=5
    )
    assert gone.deleted


async def test_acting_admin_is_only_believed_from_the_gateway(stack: Stack) -> None:
    oid = await _objective(stack)
    forged = await failure(
        stack.scheduler("svc:orchestrator").UpdateObjective(
            rpc.UpdateObjectiveRequest(id=oid, active=False), metadata=AS_ADMIN, timeout=5
        )
    )
    assert forged.code == grpc.StatusCode.PERMISSION_DENIED
    assert await _active(stack, oid)


async def test_the_audit_log_names_who_acted(stack: Stack) -> None:
    oid = await _objective(stack)
    await stack.scheduler("svc:gateway").SetObjectiveActive(
        rpc.SetObjectiveActiveRequest(id=oid, active=False), metadata=AS_ADMIN, timeout=5
    )
    async with testing.client_channel(stack.pki, stack.store_port, "admin:admin") as channel:
        events = await AuditServiceStub(channel).ListAuditEvents(
            audit_rpc.ListAuditEventsRequest(subject_kind="objective", subject_id=oid), timeout=5
        )
    actors = {e.action: e.actor for e in events.items}
    # the store names what it verified: the scheduler's certificate, and the admin the
    # gateway asserted, relayed by the scheduler (svc:gateway asked for the objective, but
    # only the scheduler's word reaches the store, and it asserts no admin for it)
    assert actors == {
        "objective.created": "svc:scheduler",
        "objective.paused": "admin:ops via svc:scheduler",
    }
