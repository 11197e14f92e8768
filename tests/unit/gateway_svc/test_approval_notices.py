"""Approvals through the outbox, with a real store (its clock the test's) behind the gateway:
a new approval is announced once in its workspace's admin channels (`approval:<id>:created`),
and one left undecided past its TTL is expired by the store's sweeper, which tells the chat
that asked, once (`approval:<id>:expired`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack

TTL = 86_400


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000, approval_sweep_seconds=0.05) as c:
        await c.link("boss", "admin")
        yield c


async def _raise(chat: Chat, workspace: str, key: str) -> str:
    async with testing.client_channel(chat.pki, chat.store, "svc:orchestrator") as ch:
        reply = await ApprovalServiceStub(ch).CreateApproval(
            arpc.CreateApprovalRequest(
                workspace_id=workspace, context_id="ctx-r", connector="telegram",
                external_id="chat-r", requester_user_id="u-r", action_type="webhook",
                action_summary="ping the deploy hook", payload_json="{}", idempotency_key=key,
            ),
            timeout=10,
        )  # fmt: skip
    return str(reply.approval.id)


async def _keyed(chat: Chat, prefix: str) -> list[Any]:
    return [d for d in await chat.deliveries() if d.idempotency_key.startswith(prefix)]


async def test_a_new_approval_is_announced_once_in_the_admin_channels(chat: Chat) -> None:
    enabled = await chat.say("/admin-channel enable", user="boss", chat="ops")
    assert enabled.reply.startswith("Admin channel enabled")
    ws = await chat.workspace_of("ops")
    aid = await _raise(chat, ws, "ask-1")
    assert await _raise(chat, ws, "ask-1") == aid  # the same request again: nothing new
    [notice] = await _keyed(chat, f"approval:{aid}:")
    assert notice.idempotency_key == f"approval:{aid}:created"
    assert (notice.connector, notice.chat_id, notice.status) == ("telegram", "ops", "pending")
    assert f"/approve-action {aid}" in notice.text and "ping the deploy hook" in notice.text
    quiet = await _raise(chat, "ws-without-admins", "ask-2")
    assert await _keyed(chat, f"approval:{quiet}:") == []


async def test_the_sweeper_expires_an_undecided_approval_and_tells_the_requester(
    chat: Chat,
) -> None:
    aid = await _raise(chat, "ws-x", "ask-3")
    chat.clock.advance(TTL - 1)
    assert await _keyed(chat, f"approval:{aid}:expired") == []
    chat.clock.advance(2)

    async def told() -> list[Any]:
        return await _keyed(chat, f"approval:{aid}:expired")

    [notice] = await testing.eventually(told, "the expiry notice")
    assert (notice.connector, notice.chat_id) == ("telegram", "chat-r")
    assert notice.text.startswith(f"Action `{aid}` expired without a decision")
    got = await chat.call("GetApproval", pb.GetApprovalRequest(id=aid), caller="svc:gateway")
    assert got.approval.status == "expired"
    late = await chat.say(f"/approve-action {aid}", user="boss")
    assert late.reply == "Action approval is not pending."
    chat.clock.advance(60)  # more sweeps and the refused decision: still one notice
    await chat.say("/pending-actions", user="boss", mid="after")
    assert len(await told()) == 1
