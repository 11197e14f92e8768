"""The agent's tools on their own: arguments checked by each schema, scratch files confined
(traversal, absolute paths, a symlink out), skills written where prompts read them, the
drafting tools' text, and create_task's quota counted from the real store (it survives a
new agent) and idempotent per call."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from agent_runtime.store.v1 import task_pb2 as store
from orchestrator_svc import prompt
from orchestrator_svc.agent import AgentRequest
from orchestrator_svc.agent_build import build_toolbox
from orchestrator_svc.clients import StoreTasks, open_store_channel
from orchestrator_svc.tool_clients import StoreRouting
from orchestrator_svc.tools import drafting, files
from orchestrator_svc.tools.base import Toolbox, ToolContext, ToolError
from orchestrator_svc.tools.tasking import Quota, tasking_tools
from svckit.pki import PkiPaths
from tests.unit.orchestrator_svc.conftest import orchestrator_settings

BOX = Toolbox([*files.TOOLS, *drafting.TOOLS])


def ctx(tmp_path: Path, task_id: str = "turn-1", context_id: str = "ctx") -> ToolContext:
    task = store.Task(id=task_id, workspace_id="ws", context_id=context_id)
    req = AgentRequest("ws", context_id, "please", task, "telegram", "42", "u1")
    return ToolContext(req, tmp_path / "ws")


async def run(c: ToolContext, name: str, args: Any, box: Toolbox = BOX) -> str:
    tool = box.get(name)
    assert tool is not None
    return (await tool.run(c, Toolbox.check(tool, args, str(args)))).output


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
        ("write_file", {"path": "a.md"}, "'content' is a required property"),
        ("write_file", {"path": "a.md", "content": "x", "mode": "w"}, "Additional properties"),
        ("read_file", {"path": 7}, "7 is not of type 'string'"),
        ("draft_escalation", {"topic": "t", "summary": "s", "urgency": "meh"}, "'meh' is not"),
        ("draft_faq_answer", {"question": "q", "key_points": []}, "should be non-empty"),
        ("read_file", None, "not a JSON object"),
    ],
)
def test_schemas_refuse_bad_arguments_with_the_reason(name: str, args: Any, problem: str) -> None:
    tool = BOX.get(name)
    assert tool is not None
    with pytest.raises(ToolError) as refused:
        Toolbox.check(tool, args, "{oops")
    assert str(refused.value).startswith(f"invalid args for {name}:")
    assert problem in str(refused.value)


async def test_scratch_files_stay_in_scratch(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    assert (
        await run(c, "write_file", {"path": "a/b.md", "content": "hi"}) == "Wrote 2 bytes to a/b.md"
    )
    assert await run(c, "read_file", {"path": "a/b.md"}) == "hi"
    assert await run(c, "list_files", {}) == "a/"
    assert await run(c, "list_files", {"path": "a"}) == "b.md (2 bytes)"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    os.symlink(outside, tmp_path / "ws" / "scratch" / "link")
    for path, reason in [
        ("../ws2/x.md", "traversal not allowed"),
        ("/etc/passwd", "absolute paths not allowed"),
        ("link/secret.md", "outside scratch directory"),
        ("link/new.md", "outside scratch directory"),
    ]:
        for name, args in (
            ("read_file", {"path": path}),
            ("write_file", {"path": path, "content": "x"}),
        ):
            with pytest.raises(ToolError, match=reason):
                await run(c, name, args)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md"]
    with pytest.raises(ToolError, match="file not found"):
        await run(c, "read_file", {"path": "nope.md"})


async def test_learn_skill_writes_where_the_prompt_reads_skills(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    assert await run(c, "learn_skill", {"name": "../../evil", "content": "x"}) == (
        "Skill names are letters, digits, - and _ only."
    )
    assert await run(c, "learn_skill", {"name": "triage-flow", "content": "Ask for a link."})
    system = prompt.build("", BOX.catalogue(), tmp_path / "ws", "ctx", prompt.ContextPolicy(), 0)
    assert "- `triage-flow.md`: Ask for a link." in system
    assert "- draft_escalation:" in system and "- write_file:" in system
    assert await asyncio.to_thread(lambda: list(tmp_path.rglob("evil*"))) == []


async def test_drafting_tools(tmp_path: Path) -> None:
    c = ctx(tmp_path)
    triage = await run(c, "moderation_triage", {"message": "FREE NITRO, dm me", "channel": "#gen"})
    assert triage.splitlines()[:2] == ["Severity: medium", "Labels: spam"]
    assert triage.endswith("Channel: #gen")
    faq = {"question": "q", "key_points": ["Use /task.", "Admins route."], "tone": "friendly"}
    assert await run(c, "draft_faq_answer", faq) == "Thanks for asking. Use /task. Admins route."
    esc = {"topic": "Raid", "summary": "spam wave", "urgency": "high", "evidence": ["msg 1"]}
    assert (await run(c, "draft_escalation", esc)).splitlines()[1:5] == [
        "Urgency: HIGH", "Summary: spam wave", "Evidence:", "- msg 1",
    ]  # fmt: skip


async def test_create_task_quota_is_counted_from_the_store_and_calls_are_idempotent(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    channel = open_store_channel(orchestrator_settings(pki, store_port))
    try:

        def box() -> Toolbox:  # a new agent each time: nothing is remembered in memory
            tools = tasking_tools(
                StoreTasks(channel), StoreRouting(channel), time.time, Quota(2, 25)
            )
            return Toolbox(tools)

        first = {"title": "Check logs", "description": "look at the deploy logs"}
        made = await run(ctx(tmp_path), "create_task", first, box())
        again = await run(ctx(tmp_path), "create_task", first, box())  # a re-run of the turn
        assert made == again and made.startswith("Task created successfully (ID: ")
        second = {"title": "Ping ops", "description": "tell ops", "priority": "high"}
        await run(ctx(tmp_path, "turn-2"), "create_task", second, box())
        with pytest.raises(ToolError, match="max autonomous tasks per hour reached"):
            await run(ctx(tmp_path, "turn-3"), "create_task", {**first, "title": "x"}, box())
        # another conversation has its own quota
        other = await run(ctx(tmp_path, "turn-4", "ctx-2"), "create_task", first, box())
        assert other.startswith("Task created successfully")
        task_id = made.removeprefix("Task created successfully (ID: ").removesuffix(").")
        looked = await run(ctx(tmp_path), "lookup_task", {"task_id": task_id}, box())
        assert "Title: Check logs" in looked and "Status: queued" in looked
        assert (
            await run(ctx(tmp_path), "update_task", {"task_id": task_id, "priority": "p1"}, box())
            == f"Task updated successfully (ID: {task_id})."
        )
        task = await StoreTasks(channel).get(task_id)
        assert (task.priority, task.route_class, task.source_user_id) == ("p1", "task", "u1")
        with pytest.raises(ToolError, match="not found in this workspace"):
            await run(ctx(tmp_path), "lookup_task", {"task_id": "nope"}, box())
    finally:
        await channel.close()


# SPEC.md, "The agent's tools (§2.4)"
SPEC_TOOLS = {
    "search_knowledge_base", "open_knowledge_document", "create_task", "lookup_task",
    "update_task", "create_objective", "update_objective", "run_action", "write_file",
    "read_file", "list_files", "fetch_url", "web_search", "moderation_triage",
    "draft_escalation", "draft_faq_answer", "learn_skill",
}  # fmt: skip


async def test_every_tool_of_the_spec_is_offered_and_checks_its_arguments(
    pki: PkiPaths, store_port: int
) -> None:
    settings = orchestrator_settings(pki, store_port)
    channel = open_store_channel(settings)  # built, never called here
    try:
        box = build_toolbox(settings, channel, channel)
    finally:
        await channel.close()
    assert {t.name for t in box.tools} == SPEC_TOOLS
    for tool in box.tools:
        assert tool.schema["type"] == "object" and tool.schema["additionalProperties"] is False
        with pytest.raises(ToolError, match=f"invalid args for {tool.name}"):
            Toolbox.check(tool, {"no_such_argument": 1}, "{}")
