"""Deciding actions end to end: the gateway, the orchestrator and the store, each on port 0
with mTLS from one throwaway PKI. An approved action is exactly one task keyed
`approval:<id>`, and the approval shows it queued with that task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1 import service_pb2_grpc
from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from gateway_svc.clients import OrchestratorTasks
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps as GatewayDeps
from gateway_svc.server import build_server as build_gateway
from orchestrator_svc.clients import StoreTasks, open_store_channel
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps as OrchDeps
from orchestrator_svc.server import build_server as build_orchestrator
from store_svc.client import StoreApprovals
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.fakes import FrozenClock
from tests.stores import serving_store
from tests.unit.gateway_svc.conftest import PORTS0, START

WS = "ws-act"


@dataclass
class Stack:
    pki: PkiPaths
    gateway: int
    orchestrator: int
    store: int
    clock: FrozenClock

    async def call(
        self, rpc: str, request: Any, *, acting_admin: str | None = "admin:alice"
    ) -> Any:
        """A GatewayService call relayed by the REST shim (svc:gateway) for `acting_admin`."""
        md = (("x-acting-admin", acting_admin),) if acting_admin else ()
        async with testing.client_channel(self.pki, self.gateway, "svc:gateway") as ch:
            try:
                return await getattr(service_pb2_grpc.GatewayServiceStub(ch), rpc)(
                    request, metadata=md, timeout=10
                )
            except grpc.aio.AioRpcError as exc:
                raise errors.from_rpc_error(exc) from None

    async def create_approval(self, ttl_seconds: int = 0) -> str:
        """A pending approval, raised as the orchestrator raises them."""
        async with testing.client_channel(self.pki, self.store, "svc:orchestrator") as ch:
            reply = await ApprovalServiceStub(ch).CreateApproval(
                arpc.CreateApprovalRequest(
                    workspace_id=WS,
                    context_id="ctx-1",
                    connector="telegram",
                    external_id="chat-1",
                    requester_user_id="u-1",
                    action_type="webhook",
                    action_target="https://example.org/hook",
                    action_summary="call the hook",
                    payload_json='{"a": 1}',
                    ttl_seconds=ttl_seconds,
                ),
                timeout=10,
            )
        return str(reply.approval.id)

    async def action_tasks(self, approval_id: str = "") -> list[Any]:
        async with testing.client_channel(self.pki, self.orchestrator, "admin:admin") as ch:
            reply = await OrchestratorServiceStub(ch).ListTasks(
                orpc.ListTasksRequest(workspace_id=WS, kind="action"), timeout=10
            )
        return [t for t in reply.items if not approval_id or t.run_key == f"approval:{approval_id}"]


@pytest.fixture
async def stack(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Stack]:
    clock = FrozenClock(START)
    async with serving_store(pki, tmp_path, clock) as store_ports:
        osettings = OrchestratorSettings(
            pki_dir=pki.root, store_addr=f"127.0.0.1:{store_ports.grpc}", **PORTS0
        )
        ostore = open_store_channel(osettings)
        odeps = OrchDeps(
            tasks=StoreTasks(ostore),
            approvals=StoreApprovals(ostore),
            clock=lambda: clock.ms / 1000,
        )
        gstore = testing.client_channel(pki, store_ports.grpc, "svc:gateway")
        try:
            async with testing.serving(build_orchestrator(osettings, odeps)) as oports:
                gorch = testing.client_channel(pki, oports.grpc, "svc:gateway")
                gdeps = GatewayDeps(
                    version="test",
                    clock=lambda: clock.ms / 1000,
                    approvals=StoreApprovals(gstore),
                    tasks=OrchestratorTasks(gorch),
                )
                gateway = build_gateway(GatewaySettings(pki_dir=pki.root, **PORTS0), gdeps)
                try:
                    async with testing.serving(gateway) as gports:
                        yield Stack(pki, gports.grpc, oports.grpc, store_ports.grpc, clock)
                finally:
                    await gorch.close()
        finally:
            await gstore.close()
            await ostore.close()


async def _failure(call: Any) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as err:
        await call
    return err.value


async def test_approve_enqueues_one_action_task_and_marks_it_queued(stack: Stack) -> None:
    aid = await stack.create_approval()
    reply = await stack.call("ApproveAction", pb.ApproveActionRequest(id=aid))
    tasks = await stack.action_tasks(aid)
    assert len(tasks) == 1
    task = tasks[0]
    assert reply.task_id == task.id
    assert (task.kind, task.workspace_id, task.context_id) == ("action", WS, "ctx-1")
    assert task.queue_lane == "task"
    assert (task.source_connector, task.source_external_id) == ("telegram", "chat-1")
    assert task.source_user_id == "u-1" and "webhook" in task.title
    assert '"a"' not in task.prompt  # the arguments stay with the approval
    a = reply.approval
    assert (a.status, a.approver_user_id) == ("approved", "admin:alice")
    assert (a.execution_status, a.task_id) == ("queued", task.id)
    got = (await stack.call("GetApproval", pb.GetApprovalRequest(id=aid))).approval
    assert (got.status, got.execution_status, got.task_id) == ("approved", "queued", task.id)


async def test_approving_again_answers_the_same_outcome_with_one_task(stack: Stack) -> None:
    aid = await stack.create_approval()
    first = await stack.call("ApproveAction", pb.ApproveActionRequest(id=aid))
    second = await stack.call(
        "ApproveAction", pb.ApproveActionRequest(id=aid), acting_admin="admin:bob"
    )
    assert second.task_id == first.task_id
    assert second.approval.approver_user_id == "admin:alice"  # the decision is not re-made
    assert second.approval.execution_status == "queued"
    assert len(await stack.action_tasks(aid)) == 1


async def test_reapproving_an_approved_approval_without_task_enqueues_it(stack: Stack) -> None:
    # The gateway stopped after the store's decision and before EnqueueTask.
    aid = await stack.create_approval()
    async with testing.client_channel(stack.pki, stack.store, "svc:gateway") as ch:
        await ApprovalServiceStub(ch).DecideApproval(
            arpc.DecideApprovalRequest(id=aid, approve=True, approver_user_id="admin:alice"),
            timeout=10,
        )
    assert await stack.action_tasks(aid) == []
    reply = await stack.call("ApproveAction", pb.ApproveActionRequest(id=aid))
    tasks = await stack.action_tasks(aid)
    assert [t.id for t in tasks] == [reply.task_id]
    assert (reply.approval.execution_status, reply.approval.task_id) == ("queued", reply.task_id)


async def test_deny_decides_once_and_enqueues_nothing(stack: Stack) -> None:
    aid = await stack.create_approval()
    denied = await stack.call("DenyAction", pb.DenyActionRequest(id=aid))
    assert (denied.approval.status, denied.approval.denied_reason) == ("denied", "denied by admin")
    assert denied.approval.approver_user_id == "admin:alice"
    other = await stack.create_approval()
    why = await stack.call("DenyAction", pb.DenyActionRequest(id=other, reason="too risky"))
    assert why.approval.denied_reason == "too risky"
    assert await stack.action_tasks() == []
    again = await _failure(stack.call("ApproveAction", pb.ApproveActionRequest(id=aid)))
    assert again.code == "FAILED_PRECONDITION"
    deny_again = await _failure(stack.call("DenyAction", pb.DenyActionRequest(id=aid)))
    assert deny_again.code == "FAILED_PRECONDITION"
    assert await stack.action_tasks() == []


async def test_an_expired_approval_is_refused_and_nothing_runs(stack: Stack) -> None:
    aid = await stack.create_approval(ttl_seconds=60)
    stack.clock.advance(61)
    err = await _failure(stack.call("ApproveAction", pb.ApproveActionRequest(id=aid)))
    assert err.code == "FAILED_PRECONDITION"
    got = (await stack.call("GetApproval", pb.GetApprovalRequest(id=aid))).approval
    assert (got.status, got.execution_status, got.task_id) == ("expired", "not_executed", "")
    assert await stack.action_tasks() == []


async def test_unknown_and_unauthorised_calls_are_refused(stack: Stack) -> None:
    aid = await stack.create_approval()
    for rpc, req in (
        ("ApproveAction", pb.ApproveActionRequest(id=aid)),
        ("DenyAction", pb.DenyActionRequest(id=aid)),
    ):
        # The gateway relaying a call without an admin behind it.
        err = await _failure(stack.call(rpc, req, acting_admin=None))
        assert err.code == "PERMISSION_DENIED"
    missing = await _failure(stack.call("ApproveAction", pb.ApproveActionRequest(id="act_nope")))
    assert missing.code == "NOT_FOUND"
    blank = await _failure(stack.call("DenyAction", pb.DenyActionRequest(id=" ")))
    assert blank.code == "INVALID_ARGUMENT"
    got = (await stack.call("GetApproval", pb.GetApprovalRequest(id=aid))).approval
    assert got.status == "pending" and await stack.action_tasks() == []


async def test_the_orchestrator_runs_approval_keys_only_for_approved_actions(
    stack: Stack,
) -> None:
    aid = await stack.create_approval()
    async with testing.client_channel(stack.pki, stack.orchestrator, "svc:gateway") as ch:
        orch = OrchestratorServiceStub(ch)
        base = {"workspace_id": WS, "context_id": "c", "title": "t", "prompt": "p"}

        async def enqueue(**kw: Any) -> errors.DomainError:
            req = orpc.EnqueueTaskRequest(**{**base, **kw})
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await orch.EnqueueTask(req, timeout=10)
            return errors.from_rpc_error(err.value)

        pending = await enqueue(kind="action", run_key=f"approval:{aid}")
        assert pending.code == "FAILED_PRECONDITION"
        wrong_kind = await enqueue(kind="general", run_key=f"approval:{aid}")
        assert wrong_kind.code == "INVALID_ARGUMENT"
        for key in ("", "my-own-key"):  # an action never skips its approval
            unapproved = await enqueue(kind="action", run_key=key)
            assert (unapproved.code, unapproved.field) == ("INVALID_ARGUMENT", "run_key")
    assert await stack.action_tasks() == []
