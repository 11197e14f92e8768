"""Decisions taken in chat by a linked admin: pairing tokens and action approvals. An
approved action is one task keyed `approval:<id>` whoever approves it, however often."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000) as c:
        await c.link("boss", "admin")
        yield c


async def _approval(chat: Chat, summary: str, workspace: str = "ws-x") -> str:
    async with testing.client_channel(chat.pki, chat.store, "svc:orchestrator") as ch:
        reply = await ApprovalServiceStub(ch).CreateApproval(
            arpc.CreateApprovalRequest(
                workspace_id=workspace, context_id="ctx-x", connector="telegram",
                external_id="chat-1", requester_user_id="u-1", action_type="webhook",
                action_summary=summary, payload_json="{}",
            ),
            timeout=10,
        )  # fmt: skip
    return str(reply.approval.id)


async def _action_tasks(chat: Chat) -> list[orpc.ListTasksResponse]:
    async with testing.client_channel(chat.pki, chat.orchestrator, "admin:admin") as ch:
        reply = await OrchestratorServiceStub(ch).ListTasks(
            orpc.ListTasksRequest(workspace_id="ws-x", kind="action"), timeout=10
        )
    return list(reply.items)


async def test_pending_approve_and_deny_actions_in_chat(chat: Chat) -> None:
    assert (await chat.say("/pending-actions", user="boss")).reply == "No pending actions."
    first = await _approval(chat, "ping the hook")
    second = await _approval(chat, "call the other hook")
    listed = (await chat.say("/pending-actions", user="boss", mid="p2")).reply
    assert listed.splitlines() == [
        "Pending actions:",
        f"- `{first}` ping the hook (webhook)",
        f"- `{second}` call the other hook (webhook)",
    ]
    assert (await chat.say("/approve-action")).reply.startswith("Usage: /approve-action")
    denied = await chat.say(f"/approve-action {first}", user="u-9")
    assert denied.reply == "Access denied: link your admin identity first."
    approved = await chat.say(f"/approve-action '{first}'.", user="boss")
    assert approved.reply.startswith(f"I approved action `{first}`; it runs once as task `")
    again = await chat.say(f"/approve-action {first}", user="boss", mid="again")
    assert again.reply == approved.reply  # approved already: the same task
    tasks = [t for t in await _action_tasks(chat) if t.run_key.startswith("approval:")]
    assert [t.run_key for t in tasks] == [f"approval:{first}"]
    no = await chat.say(f"/deny-action {second} too risky", user="boss")
    assert no.reply == f"Action `{second}` denied."
    late = await chat.say(f"/approve-action {second}", user="boss")
    assert late.reply == "Action approval is not pending."
    missing = await chat.say("/deny-action act_doesnotexist", user="boss")
    assert missing.reply == "Action approval not found."


async def test_pairing_decided_in_chat(chat: Chat) -> None:
    token = (await chat.say("pair", user="newbie")).reply.split("`/approve ")[1].split("`")[0]
    member = await chat.say(f"/approve {token}", user="u-5")
    assert member.reply == "Access denied: link your admin identity first."
    approved = await chat.say(f"/approve {token.lower()}", user="boss")
    assert approved.reply.startswith("Pairing approved for `User newbie` (") and "member" in (
        approved.reply
    )
    assert (await chat.say("/prompt show", user="newbie")).reply == (
        "Access denied: admin role required."
    )
    assert (await chat.say("/approve NOPE1234", user="boss")).reply == "Pairing token not found."
    other = (await chat.say("pair", user="spammer")).reply.split("`/approve ")[1].split("`")[0]
    refused = await chat.say(f"/deny {other} because spam", user="boss")
    assert refused.reply == "Pairing denied for `User spammer`."
    overlord = await chat.say(f"/approve {other} overlord", user="boss", mid="ov")
    assert overlord.reply == "Access denied: only an overlord can grant the overlord role."


async def test_slash_pair_in_a_direct_message_pairs(chat: Chat) -> None:
    """Telegram's command menu sends `/pair` (`/pair@Bot` in some clients): the same as
    `pair` in a direct message; in a group it is no command the gateway knows."""
    for text, user in (("/pair", "menu-user"), ("/pair@Agent_Bot", "menu-user-2")):
        reply = (await chat.say(text, user=user)).reply
        assert "`/approve " in reply, reply
    grouped = await chat.say("/pair", user="grouped", chat="group-1", direct_message=False)
    assert grouped.reply.startswith("Unknown command /pair.")


async def _workspace_of(chat: Chat, chat_id: str) -> str:
    async with testing.client_channel(chat.pki, chat.store, "svc:gateway") as ch:
        reply = await WorkspaceServiceStub(ch).EnsureContext(
            wrpc.EnsureContextRequest(connector="telegram", external_id=chat_id), timeout=10
        )
    return str(reply.context.workspace_id)


async def test_an_admin_made_in_a_chat_decides_only_in_its_workspace(chat: Chat) -> None:
    token = (await chat.say("pair", user="lead")).reply.split("`/approve ")[1].split("`")[0]
    made = await chat.say(f"/approve {token} admin", user="boss", chat="team-a")
    assert made.reply.endswith("as admin of this workspace.")
    ws_a = await _workspace_of(chat, "team-a")
    mine = await _approval(chat, "deploy team a", workspace=ws_a)
    theirs = await _approval(chat, "deploy elsewhere")  # ws-x
    listed = (await chat.say("/pending-actions", user="lead", chat="team-a")).reply
    assert mine in listed and theirs not in listed
    elsewhere = await chat.say(f"/approve-action {theirs}", user="lead", chat="team-a")
    assert elsewhere.reply == "Access denied: admin role required in that workspace."
    assert (await chat.say(f"/deny-action {theirs}", user="lead", chat="team-a")).reply == (
        "Access denied: admin role required in that workspace."
    )
    ok = await chat.say(f"/approve-action {mine}", user="lead", chat="team-a")
    assert ok.reply.startswith(f"I approved action `{mine}`")
    # a member in another chat's workspace: its admin commands are refused there
    there = await chat.say("/admin-channel enable", user="lead", chat="team-b")
    assert there.reply == "Access denied: admin role required."
    # the global admin still decides anywhere
    boss = await chat.say(f"/deny-action {theirs} not now", user="boss", chat="team-a")
    assert boss.reply == f"Action `{theirs}` denied."


async def test_route_overrides_a_tasks_routing_in_an_admin_channel(chat: Chat) -> None:
    queued = (await chat.say("/task tidy the wiki", user="boss", chat="ops")).reply
    task_id = queued.split("`")[1]
    outside = await chat.say(f"/route {task_id} issue", user="boss", chat="ops")
    assert outside.reply == "Access denied: route overrides are only allowed in admin channels."
    await chat.say("/admin-channel enable", user="boss", chat="ops")
    assert (await chat.say("/route x", user="boss", chat="ops")).reply.startswith("Usage: /route")
    bad = await chat.say(f"/route {task_id} chores", user="boss", chat="ops")
    assert bad.reply.startswith("Invalid route class.")
    window = await chat.say(f"/route {task_id} issue p1 soon", user="boss", chat="ops")
    assert window.reply == "Invalid due window. Examples: `2h`, `8h`, `1d`, `2d`."
    routed = await chat.say(f"/route {task_id} issue p1 2h", user="boss", chat="ops", mid="r1")
    lines = routed.reply.splitlines()
    assert lines[:4] == [
        f"Routing updated for `{task_id}`:",
        "- class: `issue`",
        "- priority: `p1`",
        "- lane: `operations`",
    ]
    assert lines[4].startswith("- due: `") and lines[4].endswith("Z`")
    async with testing.client_channel(chat.pki, chat.orchestrator, "admin:admin") as ch:
        task = (
            await OrchestratorServiceStub(ch).GetTask(orpc.GetTaskRequest(id=task_id), timeout=10)
        ).task
    assert (task.route_class, task.priority, task.assigned_lane) == ("issue", "p1", "operations")
    noise = await chat.say(f"/route {task_id} noise p1", user="boss", chat="ops", mid="r2")
    assert noise.reply.endswith("- due: `(none)`") and "- priority: `p3`" in noise.reply
    other = await chat.say(f"/route {task_id} issue", user="boss", chat="ops-2", mid="r3")
    assert other.reply == "Access denied: route overrides are only allowed in admin channels."
    missing = await chat.say("/route nope issue", user="boss", chat="ops", mid="r4")
    assert missing.reply == "Task not found."
