"""Decisions taken in chat by a linked admin: pairing tokens and action approvals. An
approved action is one task keyed `approval:<id>` whoever approves it, however often."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000) as c:
        await c.link("boss", "admin")
        yield c


async def _approval(chat: Chat, summary: str) -> str:
    async with testing.client_channel(chat.pki, chat.store, "svc:orchestrator") as ch:
        reply = await ApprovalServiceStub(ch).CreateApproval(
            arpc.CreateApprovalRequest(
                workspace_id="ws-x", context_id="ctx-x", connector="telegram",
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
    tasks = await _action_tasks(chat)
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
