"""The agent loop through the whole stack (`agent-runtime up` with AGENT_RUNTIME_LLM_* set to
a fake OpenAI server): a turn that searches the workspace notes answers from them, a turn
whose model wants to fetch a URL leaves one pending approval an admin sees over REST, and an
objective an agent task creates with `create_objective` (in the store: the orchestrator
never calls the scheduler) is fired by the scheduler's leader and its run succeeds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from svckit.testing import poll
from tests.fake_llm import Call, FakeLlm, Say, Seen
from tests.integration.conftest import Stack, start_stack, stop_stack
from tests.integration.test_stack_tasks import _enqueue, _finished, _orchestrator

OBJECTIVE_PROMPT = "objective heartbeat: check the build"


def brain(seen: Seen) -> Call | Say:
    if OBJECTIVE_PROMPT in seen.user:  # a run of the objective below
        return Say("heartbeat ok")
    if "set up a heartbeat" in seen.user:
        if not seen.results:
            args = {"title": "Heartbeat", "prompt": OBJECTIVE_PROMPT, "cron_expr": "@every 2s"}
            return Call("create_objective", args, id="call_objective")
        return Say(seen.results[-1][0])
    if "fetch" in seen.user:
        return Call("fetch_url", {"url": "https://example.org/status"}, id="call_fetch")
    if not seen.results:
        return Call("search_knowledge_base", {"query": "switchover"}, id="call_search")
    return Say("Per the notes: " + seen.results[-1][0].splitlines()[1])


@pytest.fixture(scope="module")
def agent_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, FakeLlm]]:
    fake = FakeLlm(brain).start()
    env = {
        "AGENT_RUNTIME_LLM_PROVIDER": "openai",
        "AGENT_RUNTIME_LLM_MODEL": "fake-model",
        "AGENT_RUNTIME_LLM_BASE_URL": fake.base_url,
        "AGENT_RUNTIME_LLM_TIMEOUT_SECONDS": "10",
    }
    stack = start_stack(tmp_path_factory.mktemp("agent-stack"), env=env)
    try:
        yield stack, fake
    finally:
        stop_stack(stack.proc)
        fake.stop()


def _http(stack: Stack) -> httpx.Client:
    return stack.rest_client(timeout=15)


def test_a_turn_through_the_stack_calls_a_tool_and_answers(
    agent_stack: tuple[Stack, FakeLlm],
) -> None:
    stack, fake = agent_stack
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    notes = Path(stack.data_dir) / "workspaces" / ws / "notes"
    notes.mkdir(parents=True)
    (notes / "deploy.md").write_text("# Deploying\n\nRun the blue-green switchover script.\n")
    with _http(stack) as http:
        reindex = _finished(http, _enqueue(http, ws, kind="reindex_markdown", title="Reindex"))
        assert reindex["status"] == "succeeded"
        with _orchestrator(stack) as orch:
            req = rpc.RunTurnRequest(
                workspace_id=ws, context_id="ctx-1", connector="codex", external_id="c1",
                text="how do we deploy?", run_key=f"turn:{ws}:1", wait_ms=30_000,
            )  # fmt: skip
            reply = orch.RunTurn(req, timeout=60)
            assert (reply.completed, reply.status) == (True, "succeeded"), reply
            assert reply.reply.startswith(f"Per the notes: 1. qmd://{ws}/notes/deploy.md")
            asked = [s for s in fake.seen if s.user.startswith("how do we deploy?")]
            assert asked[0].body["model"] == "fake-model"
            assert "search_knowledge_base" in asked[0].tools

            req = rpc.RunTurnRequest(
                workspace_id=ws, context_id="ctx-1", connector="codex", external_id="c1",
                text="please fetch example.org/status", run_key=f"turn:{ws}:2", wait_ms=30_000,
            )  # fmt: skip
            fetched = orch.RunTurn(req, timeout=60)
        pending = http.get("/api/v1/approvals", params={"workspace_id": ws, "status": "pending"})
    assert pending.status_code == 200, pending.text
    items = pending.json()["items"]
    assert len(items) == 1 and items[0]["action_type"] == "run_command"
    assert fetched.status == "succeeded"
    assert f"/approve-action {items[0]['id']}" in fetched.reply


def test_an_objective_an_agent_task_creates_is_fired_by_the_scheduler(
    agent_stack: tuple[Stack, FakeLlm],
) -> None:
    stack, fake = agent_stack
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    with _http(stack) as http:
        made = _finished(http, _enqueue(http, ws, title="Setup", prompt="set up a heartbeat"))
        assert made["status"] == "succeeded", made
        listed = http.get("/api/v1/objectives", params={"workspace_id": ws}).json()["items"]
        assert [(o["title"], o["prompt"], o["cron_expr"]) for o in listed] == [
            ("Heartbeat", OBJECTIVE_PROMPT, "@every 2s")
        ]
        oid = listed[0]["id"]
        assert f"Objective created successfully (ID: {oid})." in _artifact(stack, ws, made)

        def succeeded_run() -> dict[str, object] | None:
            runs = http.get(f"/api/v1/objectives/{oid}/runs").json()["items"]
            done = [r for r in runs if r["status"] == "succeeded"]
            return done[0] if done else None

        run = poll(succeeded_run, "a succeeded run of the agent's objective", deadline=60)
        assert run["trigger"] == "schedule"
        task = http.get(f"/api/v1/tasks/{run['task_id']}").json()
        assert (task["kind"], task["status"], task["workspace_id"]) == (
            "objective",
            "succeeded",
            ws,
        )
        paused = http.post("/api/v1/objectives/active", json={"id": oid, "active": False})
        assert paused.status_code == 200, paused.text  # quiet for the rest of the module
    assert any(OBJECTIVE_PROMPT in s.user for s in fake.seen)


def _artifact(stack: Stack, ws: str, task: dict[str, object]) -> str:
    return (Path(stack.data_dir) / "workspaces" / ws / str(task["result_path"])).read_text()
