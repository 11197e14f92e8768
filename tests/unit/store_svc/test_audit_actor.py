"""The audit log names who verifiably acted, never the `actor` a request claims: a service
certificate is recorded as that service, an admin certificate as that admin, and an admin
asserted by a relay the store believes (gateway, orchestrator, scheduler) with the relay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from agent_runtime.store.v1 import audit_service_pb2 as aurpc
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store

Metadata = Sequence[tuple[str, str]]


def _as_admin(who: str) -> Metadata:
    return (("x-acting-admin", who),)


@pytest.fixture
async def store(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[int]:
    async with serving_store(pki, tmp_path) as ports:
        yield ports.grpc


async def _task(pki: PkiPaths, port: int) -> str:
    async with testing.client_channel(pki, port, "svc:orchestrator") as ch:
        made = await TaskServiceStub(ch).CreateTask(
            trpc.CreateTaskRequest(workspace_id="ws", context_id="ctx", title="t", prompt="p")
        )
    return made.task.id


async def _cancel(
    pki: PkiPaths, port: int, caller: str, actor: str, metadata: Metadata = ()
) -> str:
    """Cancel a new task as `caller` claiming `actor`; the actor its audit entry names."""
    task_id = await _task(pki, port)
    async with testing.client_channel(pki, port, caller) as ch:
        await TaskServiceStub(ch).CancelTask(
            trpc.CancelTaskRequest(id=task_id, actor=actor, reason="r"), metadata=metadata
        )
    (actor_seen,) = await _actors(pki, port, task_id, "task.canceled")
    return actor_seen


async def _actors(pki: PkiPaths, port: int, subject_id: str, action: str) -> list[str]:
    async with testing.client_channel(pki, port, "admin:auditor") as ch:
        log = await AuditServiceStub(ch).ListAuditEvents(
            aurpc.ListAuditEventsRequest(subject_id=subject_id)
        )
    return [e.actor for e in log.items if e.action == action]


async def test_a_forged_actor_from_a_service_certificate_is_recorded_as_the_service(
    pki: PkiPaths, store: int
) -> None:
    assert await _cancel(pki, store, "svc:orchestrator", actor="admin:alice") == (
        "svc:orchestrator"
    )


async def test_an_admin_relayed_by_the_orchestrator_is_recorded_with_the_relay(
    pki: PkiPaths, store: int
) -> None:
    recorded = await _cancel(
        pki, store, "svc:orchestrator", actor="admin:mallory", metadata=_as_admin("admin:alice")
    )
    assert recorded == "admin:alice via svc:orchestrator"


async def test_an_admin_certificate_is_recorded_as_itself_whatever_it_claims(
    pki: PkiPaths, store: int
) -> None:
    recorded = await _cancel(
        pki, store, "admin:alice", actor="admin:bob", metadata=_as_admin("admin:carol")
    )
    assert recorded == "admin:alice"


@pytest.mark.parametrize("asserted", ["alice", "admin:", "admin:alice via svc:gateway", "svc:x"])
async def test_a_malformed_admin_assertion_asserts_nobody(
    pki: PkiPaths, store: int, asserted: str
) -> None:
    recorded = await _cancel(pki, store, "svc:orchestrator", "", metadata=_as_admin(asserted))
    assert recorded == "svc:orchestrator"


async def test_objective_changes_and_appended_events_name_the_verified_caller(
    pki: PkiPaths, store: int
) -> None:
    async with testing.client_channel(pki, store, "svc:scheduler") as ch:
        objectives = ObjectiveServiceStub(ch)
        made = await objectives.CreateObjective(
            orpc.CreateObjectiveRequest(
                workspace_id="ws",
                context_id="ctx",
                title="digest",
                prompt="p",
                trigger_type="schedule",
                cron_expr="@every 10m",
                actor="admin:alice",
            )
        )
        oid = made.objective.id
        await objectives.UpdateObjective(
            orpc.UpdateObjectiveRequest(id=oid, active=False, actor="svc:nobody"),
            metadata=_as_admin("admin:ops"),
        )
    async with testing.client_channel(pki, store, "svc:gateway") as ch:
        await AuditServiceStub(ch).AppendAuditEvent(
            aurpc.AppendAuditEventRequest(
                actor="admin:root", action="note.added", subject_kind="objective", subject_id=oid
            )
        )
    assert await _actors(pki, store, oid, "objective.created") == ["svc:scheduler"]
    assert await _actors(pki, store, oid, "objective.paused") == ["admin:ops via svc:scheduler"]
    assert await _actors(pki, store, oid, "note.added") == ["svc:gateway"]
