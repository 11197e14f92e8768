"""An orchestrator built by its composition root (`__main__.compose`) over a real store and a
real qmd, with its LLM settings pointing at a fake provider (tests/fake_llm.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import audit_service_pb2 as audit_rpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from orchestrator_svc.__main__ import compose
from qmd_svc.config import QmdSettings
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_llm import Brain, FakeLlm
from tests.qmds import serving_qmd
from tests.unit.orchestrator_svc.conftest import orchestrator_settings

WS = "ws-agent"
NOTE = "# Deploying\n\nRun the blue-green switchover script, then watch the error budget.\n"


@contextmanager
def fake_llm(brain: Brain) -> Iterator[FakeLlm]:
    fake = FakeLlm(brain).start()
    try:
        yield fake
    finally:
        fake.stop()


def workspace(tmp_path: Path) -> Path:
    """A workspace root with one note, a SOUL file and a skill in workspace `WS`."""
    root = tmp_path / "workspaces"
    (root / WS / "notes").mkdir(parents=True, exist_ok=True)
    (root / WS / "notes" / "deploy.md").write_text(NOTE)
    (root / WS / "context").mkdir(exist_ok=True)
    (root / WS / "context" / "SOUL.md").write_text("Be brief and a little dry.\n")
    (root / WS / "skills" / "common").mkdir(parents=True, exist_ok=True)
    (root / WS / "skills" / "common" / "runbooks.md").write_text("Cite the runbook path.\n")
    return root


@dataclass
class Orchestrator:
    stub: OrchestratorServiceStub
    approvals: ApprovalServiceStub
    root: Path
    approvals_channel: Any = None  # the admin's channel to the store

    async def turn(
        self, text: str, key: str, wait_ms: int = 20_000, context_id: str = "ctx-1"
    ) -> rpc.RunTurnResponse:
        req = rpc.RunTurnRequest(
            workspace_id=WS, context_id=context_id, connector="telegram", external_id="42",
            from_user_id="u1", text=text, run_key=key, wait_ms=wait_ms,
        )  # fmt: skip
        reply: rpc.RunTurnResponse = await self.stub.RunTurn(req, timeout=60)
        return reply

    async def audit(self) -> list[tuple[str, str, bool, str]]:
        """The agent audit events of the workspace, oldest first: (tool, stage, blocked,
        reason)."""
        req = audit_rpc.ListAgentAuditEventsRequest(workspace_id=WS)
        reply: audit_rpc.ListAgentAuditEventsResponse = await AuditServiceStub(
            self.approvals_channel
        ).ListAgentAuditEvents(req)
        return [(e.tool_name, e.stage, e.blocked, e.block_reason) for e in reversed(reply.items)]

    async def pending(self) -> list[Any]:
        req = arpc.ListApprovalsRequest(workspace_id=WS, status="pending")
        reply: arpc.ListApprovalsResponse = await self.approvals.ListApprovals(req)
        return list(reply.items)


@asynccontextmanager
async def orchestrator(
    pki: PkiPaths, store_port: int, root: Path, **llm: Any
) -> AsyncIterator[Orchestrator]:
    qmd_settings = QmdSettings(
        pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0,
        workspace_root=root, qmd_watch=False, qmd_notify_scheduler=False,
    )  # fmt: skip
    async with serving_qmd(qmd_settings) as qmd_ports:
        base = orchestrator_settings(pki, store_port)
        settings = base.model_copy(
            update={
                "qmd_addr": f"127.0.0.1:{qmd_ports.grpc}",
                "workspace_root": root,
                "default_concurrency": 2,
                "task_claim_wait_ms": 2000,
                "worker_drain_seconds": 0.2,
                **{f"llm_{k}": v for k, v in llm.items()},
            }
        )
        service = await compose(settings)()
        async with (
            testing.serving(service) as ports,
            testing.client_channel(pki, ports.grpc, "admin:admin") as orch,
            testing.client_channel(pki, store_port, "admin:admin") as store,
        ):
            yield Orchestrator(
                OrchestratorServiceStub(orch), ApprovalServiceStub(store), root, store
            )
