"""Audit attribution through the whole stack: an admin acting over REST is named in the
store's audit log as that admin, relayed by the service that called the store."""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from tests.integration.conftest import STACK_ADMIN_TOKEN, Stack


def _admin_client(stack: Stack) -> httpx.Client:
    return stack.rest_client(timeout=20)


def _audit(http: httpx.Client, subject_id: str) -> list[dict[str, Any]]:
    reply = http.get("/api/v1/audit-events", params={"subject_id": subject_id})
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def _held_task() -> dict[str, Any]:
    """A task held back an hour, so that the stack's workers leave it queued to cancel."""
    return {
        "workspace_id": "audit-e2e",
        "context_id": "cli",
        "title": "t",
        "prompt": "p",
        "not_before_unix": int(time.time()) + 3600,
    }


def test_a_cancel_over_rest_is_audited_as_the_admin_behind_it(stack: Stack) -> None:
    with _admin_client(stack) as http:
        made = http.post(
            "/api/v1/tasks",
            json=_held_task(),
        )
        assert made.status_code in (200, 201, 202), made.text
        task_id = made.json()["id"]
        canceled = http.post(f"/api/v1/tasks/{task_id}:cancel", json={"reason": "e2e"})
        assert canceled.status_code == 200, canceled.text
        events = _audit(http, task_id)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("task.canceled", "admin:admin via svc:orchestrator")
    ]


def test_a_cancel_with_the_bearer_token_is_audited_as_the_token_admin(stack: Stack) -> None:
    tls = ssl.create_default_context(cafile=str(stack.pki.ca_cert))
    auth = {"Authorization": f"Bearer {STACK_ADMIN_TOKEN}"}
    with httpx.Client(
        base_url=stack.endpoints["rest"], verify=tls, timeout=20, headers=auth
    ) as http:
        made = http.post(
            "/api/v1/tasks",
            json=_held_task(),
        )
        assert made.status_code in (200, 201, 202), made.text
        task_id = made.json()["id"]
        canceled = http.post(f"/api/v1/tasks/{task_id}:cancel", json={"reason": "e2e"})
        assert canceled.status_code == 200, canceled.text
        events = _audit(http, task_id)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("task.canceled", "admin:token via svc:orchestrator")
    ]
