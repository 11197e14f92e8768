"""REST /api/v1 on the whole stack started by `agent-runtime up`."""

from __future__ import annotations

import httpx

from svckit.testing import poll
from tests.integration.conftest import Stack


def _client(stack: Stack, *, admin: bool) -> httpx.Client:
    return stack.rest_client(timeout=10, admin=admin)


def test_health_is_open_and_ready_once_every_backend_serves(stack: Stack) -> None:
    with _client(stack, admin=False) as http:
        assert http.get("/healthz").status_code == 200
        poll(lambda: http.get("/readyz").status_code == 200, "/readyz to answer 200", deadline=30)


def test_api_needs_an_admin_certificate(stack: Stack) -> None:
    with _client(stack, admin=False) as http:
        reply = http.get("/api/v1/info")
    assert reply.status_code == 401
    assert reply.json()["code"] == "UNAUTHENTICATED"


def test_gateway_routes_reach_the_gateway_itself(stack: Stack) -> None:
    with _client(stack, admin=True) as http:
        reply = http.get("/api/v1/info")
    assert reply.status_code == 200, reply.text
    assert reply.json()["name"] == "agent-runtime"


def test_store_routes_answer_from_the_store(stack: Stack) -> None:
    with _client(stack, admin=True) as http:
        listing = http.get("/api/v1/workspaces")
        missing = http.get("/api/v1/workspaces/no-such-workspace")
    assert listing.status_code == 200, listing.text
    assert isinstance(listing.json()["items"], list)
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"


def test_a_custom_event_fires_each_matching_objective_once(stack: Stack) -> None:
    objective = {
        "workspace_id": "ws-events",
        "context_id": "ctx-events",
        "title": "On ping",
        "prompt": "Say pong",
        "trigger_type": "event",
        "event_key": "custom.ping",
        "overlap_policy": "allow",
    }
    event = {"workspace_id": "ws-events", "event_key": "Custom.Ping", "event_id": "ping-1"}
    with _client(stack, admin=True) as http:
        made = http.post("/api/v1/objectives", json=objective)
        assert made.status_code == 201, made.text
        first = http.post("/api/v1/events", json=event)
        again = http.post("/api/v1/events", json=event)
        bad = http.post("/api/v1/events", json={"workspace_id": "ws-events"})
    assert first.status_code == 200, first.text
    (run,) = first.json()["runs"]
    assert (run["objective_id"], run["trigger"], run["status"]) == (
        made.json()["id"],
        "event",
        "queued",
    )
    assert [r["status"] for r in again.json()["runs"]] == ["skipped"]  # once per event id
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "event_key"
