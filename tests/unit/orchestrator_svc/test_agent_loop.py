"""Real turns through the orchestrator's RunTurn (composition root, real store and qmd) with
a fake OpenAI or Anthropic server deciding: a tool call answered from the workspace notes, a
bad tool argument refused by its schema (the model sees why), a sensitive tool that asks for
one approval, a file written in scratch, the JSON-in-text protocol, provider errors and a
slow provider giving a clear failed turn, and the no-model answer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from svckit.pki import PkiPaths
from svckit.testing import eventually
from tests.fake_llm import Call, Fail, Say, Seen, Slow
from tests.unit.orchestrator_svc.agent_kit import WS, fake_llm, orchestrator, workspace


def search_then_answer(seen: Seen) -> Call | Say:
    if not seen.results:
        return Call("search_knowledge_base", {"query": "switchover"}, id="call_s1")
    return Say(f"From the notes: {seen.results[-1][0].splitlines()[1]}")


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_turn_calls_a_tool_and_answers_from_its_result(
    pki: PkiPaths, store_port: int, tmp_path: Path, provider: str
) -> None:
    root = workspace(tmp_path)
    with fake_llm(search_then_answer) as fake:
        async with orchestrator(
            pki, store_port, root, provider=provider, base_url=fake.base_url, model="m-1"
        ) as orch:
            reply = await orch.turn("how do we deploy?", f"in:{provider}:1")
            task = (await orch.stub.GetTask(rpc.GetTaskRequest(id=reply.task_id))).task
            audit = await orch.audit()
    # the call is in the agent audit log (what ran, not its arguments)
    assert audit == [("search_knowledge_base", "executed", False, "")]
    assert (reply.completed, reply.status) == (True, "succeeded"), reply
    assert reply.reply.startswith("From the notes: 1. qmd://ws-agent/notes/deploy.md")
    assert task.result_text == reply.reply
    first, second = fake.seen
    assert first.provider == provider and first.body["model"] == "m-1"
    # native tools offered, the catalogue, SOUL and skill merged into one system prompt
    assert {"search_knowledge_base", "run_action", "write_file"} <= set(first.tools)
    assert "AVAILABLE TOOLS:" in first.system and "- search_knowledge_base:" in first.system
    assert "Be brief and a little dry." in first.system and "runbooks.md" in first.system
    # grounded: the user's text, then what qmd found for it
    assert first.user.startswith("how do we deploy?")
    assert "qmd://ws-agent/notes/deploy.md" in first.user
    assert "blue-green **switchover** script" in second.results[0][0]
    # the tool call is in the chat's log, where the gateway writes what is said
    log = (root / WS / "logs/chats/telegram/42.md").read_text()
    assert log.startswith("# Chat Log\n\n- connector: `telegram`\n- external_id: `42`\n")
    assert "`TOOL`\n- direction: `tool`\n- actor: `agent-runtime`\n\nTool call\n" in log
    assert "- tool: `search_knowledge_base`\n- status: `ok`\n" in log
    assert '- args: `{"query": "switchover"}`' in log
    assert "- output: " in log and "qmd://ws-agent/notes/deploy.md" in log


async def test_bad_tool_arguments_are_refused_and_the_model_sees_why(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    def brain(seen: Seen) -> Call | Say:
        if not seen.results:
            return Call("search_knowledge_base", {"query": 5}, id="toolu_bad")
        return Say(f"The tool said: {seen.results[0][0]} (error={seen.results[0][1]})")

    root = workspace(tmp_path)
    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="anthropic", base_url=fake.base_url
        ) as orch:
            reply = await orch.turn("search something", "in:bad:1")
            audit = await orch.audit()
    assert reply.status == "succeeded"
    [(tool, stage, blocked, why)] = audit
    assert (tool, stage, blocked) == ("search_knowledge_base", "blocked", True)
    assert "5 is not of type 'string'" in why
    assert "invalid args for search_knowledge_base" in reply.reply and "error=True" in reply.reply
    assert "5 is not of type 'string'" in reply.reply


async def test_a_sensitive_tool_creates_one_pending_approval_and_the_turn_says_so(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    def brain(seen: Seen) -> Call | Say:
        return Call("fetch_url", {"url": "https://example.org/status"}, id="call_f")

    root = workspace(tmp_path)
    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="openai", base_url=fake.base_url
        ) as orch:
            reply = await orch.turn("what does example.org/status say?", "in:fetch:1")
            pending = await orch.pending()
            audit = await orch.audit()
    assert audit == [("fetch_url", "approval_required", True, "")]
    assert reply.status == "succeeded"
    assert len(pending) == 1 and pending[0].action_type == "run_command"
    assert f"/approve-action {pending[0].id}" in reply.reply
    assert pending[0].requester_user_id == "u1" and pending[0].connector == "telegram"
    assert len(fake.seen) == 1  # the turn ended at the approval: nothing fetched


async def test_an_agent_task_writes_a_scratch_file_and_its_artifact_shows_the_calls(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    def brain(seen: Seen) -> Call | Say:
        if not seen.results:
            return Call("write_file", {"path": "notes/todo.md", "content": "- ship it\n"})
        if len(seen.results) == 1:
            return Call("write_file", {"path": "../../escape.md", "content": "x"}, id="c2")
        return Say("Saved the list.")

    root = workspace(tmp_path)
    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="openai", base_url=fake.base_url
        ) as orch:
            req = rpc.EnqueueTaskRequest(
                workspace_id=WS, context_id="ctx-1", title="todo", prompt="write the todo list"
            )
            made = (await orch.stub.EnqueueTask(req)).task

            async def done() -> rpc.GetTaskResponse | None:
                got = await orch.stub.GetTask(rpc.GetTaskRequest(id=made.id))
                return got if got.task.status == "succeeded" else None

            task = (await eventually(done, "agent task succeeded")).task
    assert (root / WS / "scratch" / "notes" / "todo.md").read_text() == "- ship it\n"
    assert not (root / "escape.md").exists() and not (root / WS / "escape.md").exists()
    artifact = (root / WS / task.result_path).read_text()
    assert "### Step 1: `write_file`" in artifact and "Wrote 10 bytes" in artifact
    assert "### Step 2: `write_file`" in artifact and "traversal not allowed" in artifact
    assert "## Final Output\n\nSaved the list." in artifact
    assert fake.seen[2].results[1][0] == "invalid path: traversal not allowed"


async def test_json_in_text_protocol_for_models_without_tools(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    def brain(seen: Seen) -> Say:
        if "TOOL RESULT" not in str(seen.body["messages"]):
            return Say('Let me look. {"tool": "list_files", "args": {}}')
        return Say('{"final": "The scratch folder is empty.", "confidence": 0.9}')

    root = workspace(tmp_path)
    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="openai", base_url=fake.base_url, native_tools=False
        ) as orch:
            reply = await orch.turn("what is in scratch?", "in:text:1")
    assert (reply.status, reply.reply) == ("succeeded", "The scratch folder is empty.")
    assert all("tools" not in s.body for s in fake.seen)
    assert '"tool": "<name>"' in fake.seen[0].system


@pytest.mark.parametrize(
    ("provider", "answer", "expect"),
    [
        ("openai", Fail(500, "boom"), "answered HTTP 500: boom"),
        ("anthropic", Fail(401, "invalid x-api-key"), "answered HTTP 401: invalid x-api-key"),
        ("openai", Slow(30), "did not answer in 0.5s"),
    ],
)
async def test_provider_errors_and_slowness_fail_the_turn_with_a_clear_reason(
    pki: PkiPaths, store_port: int, tmp_path: Path, provider: str, answer: object, expect: str
) -> None:
    root = workspace(tmp_path)
    with fake_llm(lambda seen: answer) as fake:  # type: ignore[arg-type,return-value]
        async with orchestrator(
            pki, store_port, root, provider=provider, base_url=fake.base_url, timeout_seconds=0.5
        ) as orch:
            started = time.monotonic()
            reply = await orch.turn("hello there", f"in:err:{provider}:{expect[:5]}")
    assert (reply.completed, reply.status) == (True, "failed"), reply
    assert reply.error_message.startswith("I could not answer this time: the language model")
    assert expect in reply.error_message
    assert "internal error" not in reply.error_message.lower()
    assert time.monotonic() - started < 20  # never a hung turn


async def test_without_a_provider_the_turn_answers_from_the_notes(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    root = workspace(tmp_path)
    async with orchestrator(pki, store_port, root) as orch:
        reply = await orch.turn("switchover script", "in:none:1")
    assert reply.status == "succeeded"
    assert reply.reply.startswith("No language model is configured")
    assert "qmd://ws-agent/notes/deploy.md" in reply.reply
