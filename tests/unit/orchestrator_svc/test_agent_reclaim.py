"""A turn whose worker died after its sensitive tool asked for an approval is reclaimed after
its lease and run again: the store still holds exactly one pending approval, and both runs
point the person at it. Real store and qmd, the agent the composition root builds, a fake
OpenAI server."""

from __future__ import annotations

import itertools
from pathlib import Path

from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from orchestrator_svc.agent_build import build_agent
from orchestrator_svc.agent_tasks import TurnExecutor
from orchestrator_svc.clients import (
    StoreLeases,
    StoreTasks,
    open_qmd_channel,
    open_store_channel,
)
from orchestrator_svc.drafts import TaskDraft
from orchestrator_svc.workers import Claim
from qmd_svc.config import QmdSettings
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_llm import Call, Seen
from tests.fakes import SteppedClock
from tests.qmds import serving_qmd
from tests.unit.orchestrator_svc.agent_kit import WS, fake_llm, workspace
from tests.unit.orchestrator_svc.conftest import orchestrator_settings

_ids = itertools.count(1)


def always_post(seen: Seen) -> Call:
    """The same call each run, under a new call id each time (as a real provider does)."""
    args = {"type": "webhook", "target": "https://hooks.example.org/x", "summary": "ping ops"}
    return Call("run_action", args, id=f"call_{next(_ids)}")


async def test_a_reclaimed_turn_asks_for_its_approval_once(
    pki: PkiPaths, store_port: int, store_clock: SteppedClock, tmp_path: Path
) -> None:
    root = workspace(tmp_path)
    qmd_settings = QmdSettings(
        pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0,
        workspace_root=root, qmd_watch=False, qmd_notify_scheduler=False,
    )  # fmt: skip
    with fake_llm(always_post) as fake:
        async with serving_qmd(qmd_settings) as qmd_ports:
            settings = orchestrator_settings(pki, store_port).model_copy(
                update={
                    "qmd_addr": f"127.0.0.1:{qmd_ports.grpc}",
                    "workspace_root": root,
                    "llm_provider": "openai",
                    "llm_base_url": fake.base_url,
                }
            )
            store, qmd = open_store_channel(settings), open_qmd_channel(settings)
            turn = TurnExecutor(build_agent(settings, store, qmd))
            leases = StoreLeases(store)
            draft = TaskDraft(
                workspace_id=WS, context_id="ctx-1", title="Turn", prompt="tell ops we deploy",
                kind="turn", lane="turn", source_connector="telegram", source_external_id="42",
                source_user_id="u1", run_key="in:telegram:42:reclaim",
            )  # fmt: skip
            made = (await StoreTasks(store).create(draft)).task
            first = await leases.claim(Claim("worker-a", 1, 5_000, ["turn"], 0))
            assert [t.id for t in first] == [made.id]
            crashed = await turn.run(first[0])  # ...and worker-a dies before completing
            store_clock.advance(10)  # its lease expires
            again = await leases.claim(Claim("worker-b", 1, 5_000, ["turn"], 0))
            assert [t.id for t in again] == [made.id] and again[0].attempts == 2
            outcome = await turn.run(again[0])
            await leases.complete(made.id, again[0].lease_token, outcome)
            async with testing.client_channel(pki, store_port, "admin:admin") as admin:
                listing = await ApprovalServiceStub(admin).ListApprovals(
                    arpc.ListApprovalsRequest(workspace_id=WS, status="pending")
                )
            await store.close()
            await qmd.close()
    assert len(fake.seen) == 2  # the model was asked twice, once per run
    assert listing.count == 1
    approval = listing.items[0]
    assert (approval.action_type, approval.action_target) == (
        "webhook",
        "https://hooks.example.org/x",
    )
    assert f"/approve-action {approval.id}" in crashed.text
    assert f"/approve-action {approval.id}" in outcome.text
