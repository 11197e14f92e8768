"""With a sensitive-tool grant on the context (GrantService, as an admin), the agent's
run_action is approved by the grant and its `approval:<id>` action task is queued and run by
the action executor: nobody is asked, the turn goes on, the approval names the granting
admin."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import grant_service_pb2 as grpb
from agent_runtime.store.v1.grant_service_pb2_grpc import GrantServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from svckit.testing import eventually
from tests.fake_llm import Call, Say, Seen
from tests.unit.orchestrator_svc.agent_kit import WS, fake_llm, orchestrator, workspace


def brain(seen: Seen) -> Call | Say:
    if not seen.results:
        args = {"type": "webhook", "target": "https://hooks.example.org/deploy", "summary": "go"}
        return Call("run_action", args, id="call_hook")
    return Say(f"Done: {seen.results[0][0]}")


async def test_a_granted_context_queues_the_action_without_asking(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    root = workspace(tmp_path)
    async with testing.client_channel(pki, store_port, "admin:alice") as admin:
        await GrantServiceStub(admin).GrantSensitiveTools(
            grpb.GrantSensitiveToolsRequest(workspace_id=WS, context_id="ctx-1", ttl_seconds=600)
        )
    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="openai", base_url=fake.base_url
        ) as orch:
            reply = await orch.turn("deploy hook please", "in:grant:1")
            assert await orch.pending() == []
            listed = await orch.stub.ListTasks(rpc.ListTasksRequest(workspace_id=WS, kind="action"))
            approval_id = listed.items[0].run_key.removeprefix("approval:")

            async def executed() -> arpc.GetApprovalResponse | None:
                got = await orch.approvals.GetApproval(arpc.GetApprovalRequest(id=approval_id))
                done = got.approval.execution_status not in ("not_executed", "queued", "running")
                return got if done else None

            # the action executor runs it (the target does not resolve here: it fails, once)
            got = await eventually(executed, "the granted action executed")
    assert reply.status == "succeeded"
    assert reply.reply.startswith("Done: Action act_") and "standing grant" in reply.reply
    assert len(listed.items) == 1
    action = listed.items[0]
    assert action.run_key.startswith("approval:act_")
    assert approval_id in reply.reply
    approval = got.approval
    assert (approval.status, approval.approver_user_id) == ("approved", "grant:admin:alice")
    assert approval.execution_status in ("succeeded", "failed") and approval.task_id == action.id
