"""Tasks run through the whole stack (`agent-runtime up`): a task enqueued over REST reaches
succeeded with its artifact on disk, a reindex task makes a note searchable, and RunTurn
answers from that note with the no-model note."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from svckit.testing import poll
from tests.integration.conftest import Stack


@pytest.fixture
def http(stack: Stack) -> Any:
    with stack.rest_client(timeout=15) as client:
        yield client


def _finished(http: httpx.Client, task_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        task: dict[str, Any] = http.get(f"/api/v1/tasks/{task_id}").json()
        return task if task["status"] in ("succeeded", "failed", "dead", "canceled") else None

    found: dict[str, Any] = poll(done, f"task {task_id} finished", deadline=60)
    return found


def _enqueue(http: httpx.Client, ws: str, **body: object) -> str:
    base = {"workspace_id": ws, "context_id": "ctx-1", "title": "Report", "prompt": "do"}
    reply = http.post("/api/v1/tasks", json={**base, **body})
    assert reply.status_code == 202, reply.text
    return str(reply.json()["id"])


def test_a_task_enqueued_over_rest_succeeds_with_its_artifact(
    stack: Stack, http: httpx.Client
) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    task_id = _enqueue(http, ws, title="Weekly report", prompt="summarise the week")
    task = _finished(http, task_id)
    assert task["status"] == "succeeded", task
    day = time.strftime("%Y/%m/%d", time.gmtime(task["finished_at_unix"]))
    assert task["result_path"] == f"tasks/{day}/{task_id}.md"
    artifact = stack.data_dir / "workspaces" / ws / task["result_path"]
    text = artifact.read_text()
    assert "# Task Result" in text and "summarise the week" in text and "## Final Output" in text
    assert task["result_summary"] and task["worker_id"]


def test_run_turn_answers_from_the_workspace_notes(stack: Stack, http: httpx.Client) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    notes = stack.data_dir / "workspaces" / ws / "notes"
    notes.mkdir(parents=True)
    (notes / "deploy.md").write_text("# Deploying\n\nRun the blue-green switchover script.\n")
    reindex = _finished(http, _enqueue(http, ws, kind="reindex_markdown", title="Reindex"))
    assert reindex["status"] == "succeeded" and "reindexed" in reindex["result_summary"]
    with _orchestrator(stack) as orch:
        req = rpc.RunTurnRequest(
            workspace_id=ws, context_id="ctx-1", connector="codex", external_id="c1",
            text="switchover script", run_key=f"turn:{ws}:1", wait_ms=30_000,
        )  # fmt: skip
        reply = orch.RunTurn(req, timeout=60)
    assert (reply.completed, reply.status) == (True, "succeeded")
    assert reply.reply.startswith("No language model is configured")
    assert f"qmd://{ws}/notes/deploy.md" in reply.reply


class _orchestrator:
    """A blocking gRPC client of the stack's orchestrator with the admin certificate."""

    def __init__(self, stack: Stack) -> None:
        pki, admin = stack.pki, stack.admin
        creds = grpc.ssl_channel_credentials(
            root_certificates=Path(pki.ca_cert).read_bytes(),
            private_key=admin.key.read_bytes(),
            certificate_chain=admin.cert.read_bytes(),
        )
        self._channel = grpc.secure_channel(stack.grpc("orchestrator"), creds)

    def __enter__(self) -> OrchestratorServiceStub:
        return OrchestratorServiceStub(self._channel)

    def __exit__(self, *exc: object) -> None:
        self._channel.close()


def test_queue_stats_show_the_orchestrators_workers(http: httpx.Client) -> None:
    reply = http.get("/api/v1/queue/stats")
    assert reply.status_code == 200, reply.text
    doc = reply.json()
    assert doc["workers_total"] == 5 and 0 <= doc["workers_busy"] <= 5  # the default pool


def test_the_workers_are_on_metrics(stack: Stack) -> None:
    text = httpx.get(stack.endpoints["services"]["orchestrator"]["metrics"], timeout=10).text
    assert "orchestrator_workers 5.0" in text and "orchestrator_workers_busy " in text
