"""connectors_svc in the whole stack (`agent-runtime up`) with the codex webhook pointed at a
fake receiver: a finished task's notice (`task:<id>:<status>`, written by the store in the
task's finishing transaction) is posted once; the connectors, the deliveries and the
heartbeat components (the connectors', the orchestrator's `runtime`, the scheduler's) are on
REST; platforms without credentials are disabled with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from svckit.testing import poll
from tests.integration.conftest import Stack, start_stack, stop_stack
from tests.webhooks import FakeWebhook


@pytest.fixture(scope="module")
def receiver() -> Iterator[FakeWebhook]:
    fake = FakeWebhook().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def hook_stack(tmp_path_factory: pytest.TempPathFactory, receiver: FakeWebhook) -> Iterator[Stack]:
    env = {"AGENT_RUNTIME_CODEX_PUBLISH_URL": receiver.url}
    stack = start_stack(tmp_path_factory.mktemp("hook-stack"), env=env)
    try:
        yield stack
    finally:
        stop_stack(stack.proc)


@pytest.fixture
def http(hook_stack: Stack) -> Iterator[httpx.Client]:
    with hook_stack.rest_client(timeout=60) as client:
        yield client


def test_a_finished_tasks_notice_reaches_the_webhook_once(
    http: httpx.Client, receiver: FakeWebhook
) -> None:
    session = f"cli-{uuid.uuid4().hex[:8]}"
    chat = {"connector": "codex", "external_id": session}
    # a /task is routed (class task): its notice goes to the workspace's admin channels
    admin = http.post("/api/v1/chat", json={**chat, "text": "/admin-channel enable"})
    assert admin.status_code == 200 and "admin" in admin.json()["reply"].lower(), admin.text
    reply = http.post("/api/v1/chat", json={**chat, "text": "/task tidy up"})
    assert reply.status_code == 200, reply.text
    task_id = reply.json()["reply"].split("`")[1]

    def finished() -> str:
        status: str = http.get(f"/api/v1/tasks/{task_id}").json()["status"]
        return status if status in ("succeeded", "failed", "dead") else ""

    status = poll(finished, "the task to finish", deadline=90)
    key = f"task:{task_id}:{status}"

    def delivered() -> list[dict[str, Any]]:
        got = http.get("/api/v1/deliveries", params={"status": "sent", "connector": "codex"})
        assert got.status_code == 200, got.text
        return [d for d in got.json()["items"] if d["idempotency_key"] == key]

    [row] = poll(delivered, "the notice to be sent", deadline=60)
    posts = [p for p in receiver.posts if p.key == key]
    assert len(posts) == 1
    assert posts[0].body["connector"] == "codex" and posts[0].body["external_id"] == session
    assert row["chat_id"] == session and row["parts"][0]["status"] == "sent"


def test_connectors_deliveries_and_heartbeat_on_rest(http: httpx.Client) -> None:
    def codex_healthy() -> dict[str, Any] | None:
        got = http.get("/api/v1/connectors")
        assert got.status_code == 200, got.text
        by_name = {c["name"]: c for c in got.json()["connectors"]}
        return by_name if by_name.get("codex", {}).get("state") == "healthy" else None

    by_name = poll(codex_healthy, "the codex connector to be healthy", deadline=60)
    assert (by_name["telegram"]["state"], by_name["telegram"]["message"]) == (
        "disabled", "token missing"
    )  # fmt: skip
    assert by_name["imap"]["message"] == "credentials missing"
    bad = http.get("/api/v1/deliveries", params={"status": "bogus"})
    assert bad.status_code == 400 and "status" in bad.text

    def components() -> dict[str, Any] | None:
        beat = http.get("/api/v1/heartbeat").json()
        names = [c["name"] for c in beat["components"]]
        assert names == sorted(set(names)), names  # the scheduler's probe and report: one
        by = {c["name"]: c for c in beat["components"]}
        live = ("connector:codex", "runtime", "scheduler")
        return by if all(by.get(n, {}).get("state") == "healthy" for n in live) else None

    beat = poll(components, "connector:codex, runtime and scheduler beating", deadline=60)
    assert beat["connector:discord"]["state"] == "disabled"
    assert beat["store"]["state"] == "healthy"
