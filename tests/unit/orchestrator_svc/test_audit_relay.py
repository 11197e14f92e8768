"""The orchestrator passes the admin behind a call on to the store, which names that admin in
its audit log, with the orchestrator as the relay."""

from __future__ import annotations

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import audit_service_pb2 as aurpc
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.orchestrator_svc.conftest import ACTING_ADMIN, Connect


async def _audit(pki: PkiPaths, store_port: int, subject_id: str) -> list[tuple[str, str]]:
    async with testing.client_channel(pki, store_port, "admin:auditor") as ch:
        log = await AuditServiceStub(ch).ListAuditEvents(
            aurpc.ListAuditEventsRequest(subject_id=subject_id)
        )
    return [(e.action, e.actor) for e in log.items]


async def test_a_cancel_the_gateway_relays_names_its_admin_via_the_orchestrator(
    connect: Connect, pki: PkiPaths, store_port: int
) -> None:
    gateway = await connect("svc:gateway")
    task = (await gateway.enqueue(workspace_id="audit")).task
    await gateway.orch.CancelTask(
        rpc.CancelTaskRequest(task_id=task.id, reason="not needed"), metadata=ACTING_ADMIN
    )
    assert await _audit(pki, store_port, task.id) == [
        ("task.canceled", "admin:alice via svc:orchestrator")
    ]


async def test_a_replay_by_an_admin_certificate_names_that_admin_via_the_orchestrator(
    connect: Connect, pki: PkiPaths, store_port: int
) -> None:
    ops = await connect("admin:ops")
    task = (await ops.enqueue(workspace_id="audit", max_attempts=1)).task
    await ops.fail(task.id, retryable=True)
    dead = (await ops.orch.ListDeadLetters(rpc.ListDeadLettersRequest(workspace_id="audit"))).items
    await ops.orch.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id=dead[0].id))
    replayed = [a for a in await _audit(pki, store_port, task.id) if a[0] == "task.replayed"]
    assert replayed == [("task.replayed", "admin:ops via svc:orchestrator")]
