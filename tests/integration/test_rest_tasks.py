"""The original task routes (REFERENCE.md §9) end to end: HTTPS with the admin certificate ->
gateway REST shim -> orchestrator -> store, all started by `agent-runtime up`."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Stack

# The task record of the original GET /api/v1/tasks?id= (REFERENCE.md §9), by JSON type.
RECORD_STRINGS = (
    "id", "workspace_id", "context_id", "kind", "title", "prompt", "status", "route_class",
    "priority", "assigned_lane", "source_connector", "source_external_id", "source_user_id",
    "source_text", "worker_id", "result_summary", "result_path", "error_message",
)  # fmt: skip
RECORD_NUMBERS = (
    "due_at_unix", "attempts", "started_at_unix", "finished_at_unix", "created_at_unix",
    "updated_at_unix",
)  # fmt: skip


@pytest.fixture
def http(stack: Stack) -> Any:
    with stack.rest_client(timeout=15) as client:
        yield client


@pytest.fixture
def workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:8]}"


def _later() -> int:
    """A start time an hour away: the stack's workers leave such a task queued."""
    return int(time.time()) + 3600


def _create(http: httpx.Client, workspace: str, **extra: object) -> httpx.Response:
    body = {"workspace_id": workspace, "context_id": "ctx-1", "title": "Report", "prompt": "do"}
    return http.post("/api/v1/tasks", json={**body, **extra})


def test_create_answers_202_with_the_task_record(http: httpx.Client, workspace: str) -> None:
    before = int(time.time())
    reply = _create(
        http,
        workspace,
        kind="general",
        route_class="task",
        priority="p2",
        due_at_unix=before + 3600,
        source_connector="telegram",
        source_external_id="chat-9",
        source_user_id="u9",
        source_text="/task Report",
    )
    assert reply.status_code == 202, reply.text
    task = reply.json()
    # the original answer {id, workspace_id, context_id, kind, status} is there as it was
    assert task["id"] and task["workspace_id"] == workspace and task["context_id"] == "ctx-1"
    assert (task["kind"], task["status"]) == ("general", "queued")
    for name in RECORD_STRINGS:
        assert isinstance(task[name], str), name
    for name in RECORD_NUMBERS:
        assert type(task[name]) is int, name
    assert task["due_at_unix"] == before + 3600 and task["created_at_unix"] >= before
    assert (task["started_at_unix"], task["finished_at_unix"], task["attempts"]) == (0, 0, 0)
    assert (task["route_class"], task["priority"], task["source_connector"]) == (
        "task",
        "p2",
        "telegram",
    )


def test_get_and_list_return_what_was_created(http: httpx.Client, workspace: str) -> None:
    # held back, so that GET shows the record exactly as created (workers leave it queued)
    first = _create(http, workspace, title="first", not_before_unix=_later()).json()
    second = _create(http, workspace, title="second", context_id="ctx-2").json()

    got = http.get(f"/api/v1/tasks/{first['id']}")
    assert got.status_code == 200, got.text
    assert got.json() == first

    listing = http.get("/api/v1/tasks", params={"workspace_id": workspace})
    assert listing.status_code == 200, listing.text
    doc = listing.json()
    assert doc["count"] == 2 and {t["id"] for t in doc["items"]} == {first["id"], second["id"]}
    by_ctx = http.get("/api/v1/tasks", params={"workspace_id": workspace, "context_id": "ctx-2"})
    assert [t["title"] for t in by_ctx.json()["items"]] == ["second"]
    assert type(doc["count"]) is int and type(doc["items"][0]["created_at_unix"]) is int


def test_unknown_task_is_404(http: httpx.Client) -> None:
    reply = http.get("/api/v1/tasks/no-such-task")
    assert reply.status_code == 404, reply.text
    assert reply.json()["code"] == "NOT_FOUND"
    retry = http.post("/api/v1/tasks/retry", json={"task_id": "no-such-task"})
    assert retry.status_code == 404, retry.text


@pytest.mark.parametrize("token", [str(2**63), "99999999999999999999999999", "-1", "k"])
def test_a_malformed_or_out_of_range_page_token_is_400_naming_it(
    http: httpx.Client, workspace: str, token: str
) -> None:
    made = _create(http, workspace).json()
    reply = http.get("/api/v1/tasks", params={"workspace_id": workspace, "page_token": token})
    assert reply.status_code == 400, reply.text
    err = reply.json()
    assert err["code"] == "INVALID_ARGUMENT" and err["details"]["field"] == "page_token"
    listing = http.get("/api/v1/tasks", params={"workspace_id": workspace}).json()
    assert [t["id"] for t in listing["items"]] == [made["id"]]  # nothing changed


@pytest.mark.parametrize("missing", ["workspace_id", "context_id", "title", "prompt"])
def test_missing_required_field_is_400_naming_it(
    http: httpx.Client, workspace: str, missing: str
) -> None:
    reply = _create(http, workspace, **{missing: "  "})
    assert reply.status_code == 400, reply.text
    err = reply.json()
    assert err["code"] == "INVALID_ARGUMENT" and missing in err["message"]
    assert err["details"]["field"] == missing
    listing = http.get("/api/v1/tasks", params={"workspace_id": workspace})
    assert listing.json()["count"] == 0


def test_retry_refuses_a_task_that_did_not_fail(http: httpx.Client, workspace: str) -> None:
    task = _create(http, workspace).json()
    reply = http.post("/api/v1/tasks/retry", json={"task_id": task["id"]})
    assert reply.status_code == 400, reply.text
    assert reply.json()["message"] == "only failed tasks can be retried"


def test_retry_of_a_canceled_task_queues_a_copy(http: httpx.Client, workspace: str) -> None:
    task = _create(
        http, workspace, kind="turn", route_class="question", not_before_unix=_later()
    ).json()
    canceled = http.post(f"/api/v1/tasks/{task['id']}:cancel", json={"reason": "by test"})
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["task"]["status"] == "canceled"

    reply = http.post("/api/v1/tasks/retry", json={"task_id": task["id"]})
    assert reply.status_code == 202, reply.text
    doc = reply.json()
    assert set(doc) == {"task_id", "retry_of_task", "workspace_id", "context_id", "kind", "status"}
    assert doc["task_id"] != task["id"]
    assert (doc["retry_of_task"], doc["workspace_id"], doc["kind"], doc["status"]) == (
        task["id"],
        workspace,
        "turn",
        "queued",
    )
    copy = http.get(f"/api/v1/tasks/{doc['task_id']}").json()
    assert (copy["title"], copy["prompt"], copy["route_class"], copy["due_at_unix"]) == (
        task["title"],
        task["prompt"],
        "question",
        task["due_at_unix"],
    )


def test_watch_streams_changes_as_ndjson(http: httpx.Client, workspace: str) -> None:
    existing = _create(http, workspace, title="existing", not_before_unix=_later()).json()
    params = {"workspace_id": workspace, "include_existing": "true"}
    with http.stream("GET", "/api/v1/tasks:watch", params=params) as stream:
        assert stream.status_code == 200
        lines = (line for line in stream.iter_lines() if line.strip())
        first = json.loads(next(lines))["event"]
        assert (first["event"], first["task"]["id"]) == ("snapshot", existing["id"])
        new = _create(http, workspace, title="new", not_before_unix=_later()).json()
        change = json.loads(next(lines))["event"]
        assert (change["event"], change["task"]["id"]) == ("queued", new["id"])
        assert type(change["occurred_at_unix_ms"]) is int


def test_queue_stats_count_what_is_queued(http: httpx.Client, workspace: str) -> None:
    _create(http, workspace, kind="turn", not_before_unix=_later())
    _create(http, workspace, kind="reindex_markdown", not_before_unix=_later())
    reply = http.get("/api/v1/queue/stats", params={"workspace_id": workspace})
    assert reply.status_code == 200, reply.text
    doc = reply.json()
    assert doc["queued"] == 2 and type(doc["oldest_queued_age_ms"]) is int
    lanes = {lane["queue_lane"]: lane["queued"] for lane in doc["lanes"]}
    assert lanes == {"turn": 1, "task": 0, "background": 1}
