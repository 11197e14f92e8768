"""The original's objective routes end to end: HTTPS with the admin certificate -> gateway REST
shim -> scheduler_svc -> store_svc, all started by `agent-runtime up` (REFERENCE.md §9)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Stack

# The objective map of REFERENCE.md §9 (the original's JSON), each with its JSON type(s).
INT, NULL_INT, NULL_STR = (int,), (int, type(None)), (str, type(None))
ORIGINAL_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "workspace_id": (str,),
    "context_id": (str,),
    "title": (str,),
    "prompt": (str,),
    "trigger_type": (str,),
    "event_key": (str,),
    "cron_expr": (str,),
    "timezone": (str,),
    "active": (bool,),
    "next_run_unix": NULL_INT,
    "last_run_unix": NULL_INT,
    "last_error": (str,),
    "run_count": INT,
    "success_count": INT,
    "failure_count": INT,
    "consecutive_failures": INT,
    "consecutive_successes": INT,
    "success_streak": INT,
    "failure_streak": INT,
    "total_run_duration_ms": INT,
    "avg_run_duration_ms": INT,
    "last_success_unix": NULL_INT,
    "last_failure_unix": NULL_INT,
    "auto_paused_reason": NULL_STR,
    "recent_errors": (list,),
    "next_runs_unix": (list,),
    "health_state": (str,),
}


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with stack.rest_client(timeout=15) as client:
        yield client


@pytest.fixture
def workspace() -> str:
    """A workspace of this test alone (the stack is shared by the session)."""
    return f"ws-{uuid.uuid4().hex[:12]}"


def _body(workspace: str, **kw: Any) -> dict[str, Any]:
    return {
        "workspace_id": workspace,
        "context_id": "ctx-1",
        "title": "Morning digest",
        "prompt": "Summarise what changed overnight",
        "trigger_type": "schedule",
        "cron_expr": "30 7 * * 1-5",
        "timezone": "Europe/Berlin",
    } | kw


def _create(http: httpx.Client, workspace: str, **kw: Any) -> dict[str, Any]:
    reply = http.post("/api/v1/objectives", json=_body(workspace, **kw))
    assert reply.status_code == 201, reply.text
    obj: dict[str, Any] = reply.json()
    return obj


def _error(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    doc: dict[str, Any] = reply.json()
    assert doc["code"] == code and doc["message"]
    return doc


def test_create_answers_201_with_the_original_objective_map(
    http: httpx.Client, workspace: str
) -> None:
    obj = _create(http, workspace, trigger_type="SCHEDULE")

    for name, types in ORIGINAL_FIELDS.items():
        assert name in obj, name
        assert isinstance(obj[name], types), (name, obj[name])
    assert obj["id"].startswith("obj_") and obj["trigger_type"] == "schedule"
    assert obj["active"] is True and obj["health_state"] == "healthy"
    assert obj["next_run_unix"] > time.time()
    assert obj["last_run_unix"] is None and obj["auto_paused_reason"] is None
    assert obj["recent_errors"] == [] and obj["run_count"] == 0
    assert obj["avg_run_duration_ms"] == 0 and obj["success_streak"] == 0
    runs = obj["next_runs_unix"]
    assert len(runs) == 5 and runs[0] == obj["next_run_unix"] and runs == sorted(runs)
    assert all(isinstance(t, int) for t in runs)
    # new fields are there too
    assert obj["overlap_policy"] == "skip" and obj["created_at_unix"] > 0

    got = http.get(f"/api/v1/objectives/{obj['id']}")
    assert got.status_code == 200 and got.json()["id"] == obj["id"]


def test_event_objective_has_no_fire_times(http: httpx.Client, workspace: str) -> None:
    obj = _create(http, workspace, trigger_type="event", event_key="markdown.updated", cron_expr="")
    assert obj["next_run_unix"] is None and obj["next_runs_unix"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron_expr": "not a cron"}, "cron_expr"),
        ({"cron_expr": "0 25 * * *"}, "cron_expr"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"trigger_type": "hourly"}, "trigger_type"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_objective_is_400_naming_the_field(
    http: httpx.Client, workspace: str, change: dict[str, Any], field: str
) -> None:
    doc = _error(
        http.post("/api/v1/objectives", json=_body(workspace, **change)), 400, "INVALID_ARGUMENT"
    )
    assert doc["details"].get("field") == field
    listed = http.get("/api/v1/objectives", params={"workspace_id": workspace, "active_only": "0"})
    assert listed.json()["count"] == 0


def test_list_keeps_the_original_query_semantics(http: httpx.Client, workspace: str) -> None:
    first = _create(http, workspace, title="one")
    paused = _create(http, workspace, title="two", active=False)
    third = _create(http, workspace, title="three")

    default = http.get("/api/v1/objectives", params={"workspace_id": workspace})
    assert default.status_code == 200, default.text
    doc = default.json()
    assert doc["count"] == 2 and {o["id"] for o in doc["items"]} == {first["id"], third["id"]}

    for off in ("false", "0"):
        everything = http.get(
            "/api/v1/objectives", params={"workspace_id": workspace, "active_only": off}
        ).json()
        assert everything["count"] == 3, off
        # oldest first, in true creation order (all three within about a second)
        assert [o["id"] for o in everything["items"]] == [first["id"], paused["id"], third["id"]]
        (shown,) = [o for o in everything["items"] if o["id"] == paused["id"]]
        assert shown["active"] is False and shown["health_state"] == "paused"

    page = http.get(
        "/api/v1/objectives", params={"workspace_id": workspace, "active_only": "false", "limit": 2}
    ).json()
    assert page["count"] == 2 and page["next_page_token"]
    rest = http.get(
        "/api/v1/objectives",
        params={
            "workspace_id": workspace,
            "active_only": "false",
            "limit": 2,
            "page_token": page["next_page_token"],
        },
    ).json()
    ids = [o["id"] for o in page["items"] + rest["items"]]
    assert ids == [first["id"], paused["id"], third["id"]] and rest["next_page_token"] == ""

    missing = _error(http.get("/api/v1/objectives"), 400, "INVALID_ARGUMENT")
    assert missing["details"].get("field") == "workspace_id"


def test_paging_returns_each_objective_once_in_creation_order(
    http: httpx.Client, workspace: str
) -> None:
    made = [_create(http, workspace, title=f"o{i}", active=i % 4 != 2)["id"] for i in range(11)]
    active = [oid for i, oid in enumerate(made) if i % 4 != 2]
    for active_only, want in (("no", made), ("true", active)):
        seen: list[str] = []
        token, pages = "", 0
        while True:
            params: dict[str, Any] = {"workspace_id": workspace, "active_only": active_only}
            params |= {"limit": 3, "page_token": token} if token else {"limit": 3}
            reply = http.get("/api/v1/objectives", params=params)
            assert reply.status_code == 200, reply.text
            doc = reply.json()
            assert doc["count"] == len(doc["items"]) <= 3
            seen += [o["id"] for o in doc["items"]]
            pages += 1
            token = doc["next_page_token"]
            if not token:
                break
            assert pages < 20, "paging does not end"
        assert seen == want, active_only
        assert pages == -(-len(want) // 3), active_only
    bad = http.get("/api/v1/objectives", params={"workspace_id": workspace, "page_token": "3"})
    assert _error(bad, 400, "INVALID_ARGUMENT")["details"].get("field") == "page_token"


def test_update_active_and_delete(http: httpx.Client, workspace: str) -> None:
    obj = _create(http, workspace)
    oid = obj["id"]

    updated = http.post(
        "/api/v1/objectives/update",
        json={"id": oid, "title": "Evening digest", "cron_expr": "0 18 * * *"},
    )
    assert updated.status_code == 200, updated.text
    doc = updated.json()
    assert doc["title"] == "Evening digest" and doc["prompt"] == obj["prompt"]
    assert doc["cron_expr"] == "0 18 * * *" and doc["next_runs_unix"] != obj["next_runs_unix"]

    bad = _error(
        http.post("/api/v1/objectives/update", json={"id": oid, "cron_expr": "@sometimes"}),
        400,
        "INVALID_ARGUMENT",
    )
    assert bad["details"].get("field") == "cron_expr"
    assert http.get(f"/api/v1/objectives/{oid}").json()["cron_expr"] == "0 18 * * *"

    paused = http.post("/api/v1/objectives/active", json={"id": oid, "active": False})
    assert paused.status_code == 200, paused.text
    assert paused.json()["active"] is False and paused.json()["health_state"] == "paused"
    assert paused.json()["next_runs_unix"] == []
    resumed = http.post("/api/v1/objectives/active", json={"id": oid, "active": True}).json()
    assert resumed["active"] is True and len(resumed["next_runs_unix"]) == 5

    runs = http.get(f"/api/v1/objectives/{oid}/runs")
    assert runs.status_code == 200, runs.text
    assert runs.json()["items"] == [] and runs.json()["count"] == 0

    deleted = http.post("/api/v1/objectives/delete", json={"id": oid})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"id": oid, "deleted": True}
    _error(http.get(f"/api/v1/objectives/{oid}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/objectives/update", {"id": "obj_missing", "title": "x"}),
        ("/api/v1/objectives/active", {"id": "obj_missing", "active": False}),
        ("/api/v1/objectives/delete", {"id": "obj_missing"}),
    ],
)
def test_unknown_objective_is_404(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    _error(http.post(path, json=body), 404, "NOT_FOUND")


def test_run_now_fires_one_manual_run_and_its_task(http: httpx.Client, workspace: str) -> None:
    oid = _create(http, workspace)["id"]
    reply = http.post(f"/api/v1/objectives/{oid}:run", json={})
    assert reply.status_code == 200, reply.text
    run = reply.json()["run"]
    assert (run["objective_id"], run["trigger"], run["status"]) == (oid, "manual", "queued")
    task = http.get(f"/api/v1/tasks/{run['task_id']}")
    assert task.status_code == 200, task.text
    assert (task.json()["kind"], task.json()["objective_id"]) == ("objective", oid)
    listed = http.get(f"/api/v1/objectives/{oid}/runs").json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    _error(http.post("/api/v1/objectives/obj_missing:run", json={}), 404, "NOT_FOUND")
