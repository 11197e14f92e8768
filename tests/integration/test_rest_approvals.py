"""Deciding actions over REST on the whole stack: HTTPS with the admin certificate -> the REST
shim -> gateway_svc -> store_svc and orchestrator_svc, all started by `agent-runtime up`.
Approvals are raised through the store as the orchestrator raises them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from svckit.channels import open_channel
from svckit.testing import poll
from tests.integration.conftest import Stack


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with stack.rest_client(timeout=20) as client:
        yield client


def _raise_approval(stack: Stack, workspace_id: str) -> str:
    """A pending approval created in the store with the orchestrator's certificate."""

    async def create() -> str:
        cert = stack.pki.service("orchestrator")
        async with open_channel(stack.grpc("store"), stack.pki, cert) as channel:
            reply = await ApprovalServiceStub(channel).CreateApproval(
                arpc.CreateApprovalRequest(
                    workspace_id=workspace_id,
                    context_id="ctx-rest",
                    connector="telegram",
                    external_id="chat-rest",
                    requester_user_id="u-rest",
                    action_type="webhook",
                    # loopback: the stack's webhook executor refuses it, nothing leaves
                    action_target="http://127.0.0.1:9/hook",
                    action_summary="call the hook",
                ),
                timeout=20,
            )
        return str(reply.approval.id)

    return asyncio.run(create())


def _action_tasks(http: httpx.Client, workspace_id: str) -> list[dict[str, Any]]:
    reply = http.get("/api/v1/tasks", params={"workspace_id": workspace_id, "kind": "action"})
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json().get("items", [])
    return items


def test_approve_queues_the_action_task_once(stack: Stack, http: httpx.Client) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    aid = _raise_approval(stack, ws)
    reply = http.post(f"/api/v1/approvals/{aid}:approve", json={})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    task_id = body["task_id"]
    assert task_id and body["approval"]["status"] == "approved"

    got = http.get(f"/api/v1/approvals/{aid}")
    assert got.status_code == 200, got.text
    approval = got.json()  # response_body: the approval itself
    # queued, or already executed by the stack's workers
    assert approval["status"] == "approved" and approval["execution_status"] != "not_executed"
    assert approval["task_id"] == task_id

    tasks = _action_tasks(http, ws)
    assert [(t["id"], t["kind"], t.get("run_key")) for t in tasks] == [
        (task_id, "action", f"approval:{aid}")
    ]
    # A retried approve answers the same outcome and creates nothing new.
    again = http.post(f"/api/v1/approvals/{aid}:approve", json={})
    assert again.status_code == 200, again.text
    assert again.json()["task_id"] == task_id
    assert len(_action_tasks(http, ws)) == 1

    def executed() -> dict[str, Any] | None:
        got = http.get(f"/api/v1/approvals/{aid}").json()
        return got if got["execution_status"] not in ("queued", "running") else None

    # executed once by the stack's orchestrator: the loopback target is refused (SPEC.md)
    done = poll(executed, "the action was executed")
    assert (done["execution_status"], done["executor_plugin"]) == ("failed", "webhook")
    assert "non-public address" in done["execution_message"]


def test_deny_enqueues_nothing(stack: Stack, http: httpx.Client) -> None:
    ws = f"ws-{uuid.uuid4().hex[:8]}"
    aid = _raise_approval(stack, ws)
    reply = http.post(f"/api/v1/approvals/{aid}:deny", json={"reason": "not today"})
    assert reply.status_code == 200, reply.text
    approval = reply.json()["approval"]
    assert (approval["status"], approval["denied_reason"]) == ("denied", "not today")
    assert _action_tasks(http, ws) == []
    late = http.post(f"/api/v1/approvals/{aid}:approve", json={})
    assert late.status_code == 400, late.text  # FAILED_PRECONDITION
    assert late.json()["code"] == "FAILED_PRECONDITION"
    assert _action_tasks(http, ws) == []
