"""An approval-gated e-mail through the whole stack (`agent-runtime up`): the approval is
raised as the agent raises it, approved over REST with the admin certificate, executed once
by the orchestrator's workers into a real SMTP server (aiosmtpd), and its outcome shows in
GetApproval/ListApprovals over REST and as a pending notice to the requesting chat."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from svckit.channels import open_channel
from svckit.testing import poll
from tests.integration.conftest import Stack, start_stack, stop_stack
from tests.smtps import Mailbox, serving_mailbox


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with serving_mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Stack]:
    env = {
        "AGENT_RUNTIME_SMTP_HOST": "127.0.0.1",
        "AGENT_RUNTIME_SMTP_PORT": str(mailbox.port),
        "AGENT_RUNTIME_SMTP_FROM": "agent@example.test",
    }
    stack = start_stack(tmp_path_factory.mktemp("mail-stack"), env=env)
    try:
        yield stack
    finally:
        stop_stack(stack.proc)


def _http(stack: Stack) -> httpx.Client:
    return stack.rest_client(timeout=20)


def _raise_email(stack: Stack, workspace_id: str, to: str) -> str:
    async def create() -> str:
        cert = stack.pki.service("orchestrator")
        async with open_channel(stack.grpc("store"), stack.pki, cert) as channel:
            reply = await ApprovalServiceStub(channel).CreateApproval(
                arpc.CreateApprovalRequest(
                    workspace_id=workspace_id, context_id="ctx-mail", connector="telegram",
                    external_id="chat-mail", requester_user_id="u-mail",
                    action_type="send_email", action_target=to,
                    action_summary="send the report",
                    payload_json='{"subject": "Report", "text": "All green."}',
                ),
                timeout=20,
            )  # fmt: skip
        return str(reply.approval.id)

    return asyncio.run(create())


def _notice(stack: Stack, key: str) -> drpc.GetDeliveryResponse:
    async def get() -> drpc.GetDeliveryResponse:
        cert = stack.pki.service("gateway")
        async with open_channel(stack.grpc("store"), stack.pki, cert) as channel:
            request = drpc.GetDeliveryRequest(idempotency_key=key)
            reply: drpc.GetDeliveryResponse = await DeliveryServiceStub(channel).GetDelivery(
                request, timeout=20
            )
            return reply

    return asyncio.run(get())


def test_an_approved_email_is_sent_once_and_its_outcome_surfaces(
    mail_stack: Stack, mailbox: Mailbox, tmp_path: Path
) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    aid = _raise_email(mail_stack, ws, "ana@example.test")
    with _http(mail_stack) as http:
        assert mailbox.messages == []  # nothing before the approval
        approved = http.post(f"/api/v1/approvals/{aid}:approve", json={})
        assert approved.status_code == 200, approved.text

        def executed() -> dict[str, Any] | None:
            got = http.get(f"/api/v1/approvals/{aid}").json()
            return got if got["execution_status"] not in ("queued", "running") else None

        done = poll(executed, "the e-mail action was executed", deadline=60)
        assert (done["execution_status"], done["execution_message"]) == (
            "succeeded", "email sent to 1 recipient(s)"
        )  # fmt: skip
        listed = http.get("/api/v1/approvals", params={"status": "approved"}).json()["items"]
        assert [a["execution_status"] for a in listed if a["id"] == aid] == ["succeeded"]
        again = http.post(f"/api/v1/approvals/{aid}:approve", json={})  # a retried approve
        assert again.status_code == 200, again.text
    [(sender, rcpts, raw)] = mailbox.messages  # exactly once
    assert (sender, rcpts) == ("agent@example.test", ["ana@example.test"])
    assert message_from_bytes(raw)["Subject"] == "Report"
    notice = _notice(mail_stack, f"approval:{aid}:succeeded").delivery
    assert (notice.status, notice.connector, notice.chat_id) == ("pending", "telegram", "chat-mail")


def test_approve_with_wait_ms_answers_the_outcome(mail_stack: Stack, mailbox: Mailbox) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    aid = _raise_email(mail_stack, ws, "bo@example.test")
    before = len(mailbox.messages)
    with _http(mail_stack) as http:
        reply = http.post(f"/api/v1/approvals/{aid}:approve", json={"wait_ms": 60_000})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        bad = http.post(f"/api/v1/approvals/{aid}:approve", json={"wait_ms": -1})
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_ARGUMENT"
    assert body["completed"] is True and body["task_id"]
    approval = body["approval"]
    assert (approval["status"], approval["execution_status"]) == ("approved", "succeeded")
    assert approval["execution_message"] == "email sent to 1 recipient(s)"
    assert len(mailbox.messages) == before + 1


def test_approve_action_in_chat_replies_with_the_outcome(mail_stack: Stack) -> None:
    aid = _raise_email(mail_stack, f"ws-{uuid.uuid4().hex[:8]}", "cy@example.test")
    with _http(mail_stack) as http:
        reply = http.post(
            "/api/v1/chat", json={"text": f"/approve-action {aid}", "external_id": "ops-cli"}
        )
    assert reply.status_code == 200, reply.text
    text = reply.json()["reply"]
    assert text.startswith(f"I approved action `{aid}` and ran it with `"), text
    assert text.endswith("Outcome: email sent to 1 recipient(s)")
