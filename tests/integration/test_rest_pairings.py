"""The original REST pairing routes end to end: HTTPS with the admin certificate -> the REST
shim -> gateway_svc -> store_svc, all started by `agent-runtime up`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Stack

START_FIELDS = {
    "id",
    "token",
    "token_hint",
    "connector",
    "connector_user_id",
    "display_name",
    "status",
    "expires_at_unix",
}


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with stack.rest_client(timeout=20) as client:
        yield client


def _start(http: httpx.Client, **body: Any) -> httpx.Response:
    base = {"connector": "telegram", "connector_user_id": f"u-{uuid.uuid4().hex[:8]}"}
    return http.post("/api/v1/pairings/start", json={**base, "display_name": "Ann", **body})


def test_start_answers_201_with_the_original_fields(http: httpx.Client) -> None:
    reply = _start(http, connector="discord", expires_in_sec=300)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert set(body) == START_FIELDS
    assert (body["connector"], body["display_name"], body["status"]) == (
        "discord",
        "Ann",
        "pending",
    )
    assert len(body["token"]) == 16
    assert body["token_hint"] == f"{body['token'][:4]}...{body['token'][-4:]}"
    assert isinstance(body["expires_at_unix"], int) and body["expires_at_unix"] > 0


def test_lookup_shows_the_request_but_never_its_token(http: httpx.Client) -> None:
    started = _start(http).json()
    reply = http.get("/api/v1/pairings/lookup", params={"token": started["token"].lower()})
    assert reply.status_code == 200, reply.text
    found = reply.json()
    assert found["id"] == started["id"] and found["status"] == "pending"
    assert found["token_hint"] == started["token_hint"]
    assert found["expires_at_unix"] == started["expires_at_unix"]
    assert "token" not in found and started["token"] not in reply.text
    for name in ("approved_user_id", "approver_user_id", "denied_reason"):
        assert found[name] == ""


def test_unknown_and_missing_tokens(http: httpx.Client) -> None:
    unknown = http.get("/api/v1/pairings/lookup", params={"token": "AAAABBBBCCCCDDDD"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"
    missing = http.get("/api/v1/pairings/lookup")
    assert missing.status_code == 400, missing.text
    for path, body in [
        ("/api/v1/pairings/approve", {"token": "AAAABBBBCCCCDDDD"}),
        ("/api/v1/pairings/deny", {"token": "AAAABBBBCCCCDDDD", "reason": "who?"}),
    ]:
        reply = http.post(path, json=body)
        assert reply.status_code == 404, (path, reply.text)


@pytest.mark.parametrize("missing", ["connector", "connector_user_id", "display_name"])
def test_start_needs_every_field(http: httpx.Client, missing: str) -> None:
    reply = _start(http, **{missing: ""})
    assert reply.status_code == 400, reply.text
    assert "connector, connector_user_id and display_name are required" in reply.json()["message"]


def test_start_refuses_an_unsupported_connector(http: httpx.Client) -> None:
    reply = _start(http, connector="imap")
    assert reply.status_code == 400, reply.text
    assert "unsupported connector" in reply.json()["message"]


def test_approve_links_a_member_listed_under_identities(http: httpx.Client) -> None:
    started = _start(http).json()
    reply = http.post("/api/v1/pairings/approve", json={"token": started["token"]})
    assert reply.status_code == 200, reply.text
    approved = reply.json()
    assert approved["id"] == started["id"] and approved["status"] == "approved"
    assert approved["approver_user_id"] == "admin:admin"
    assert approved["connector_user_id"] == started["connector_user_id"]
    assert approved["approved_user_id"] and approved["identity_id"]

    listing = http.get("/api/v1/identities", params={"connector": "telegram", "limit": 500})
    assert listing.status_code == 200, listing.text
    mine = [i for i in listing.json()["items"] if i["id"] == approved["identity_id"]]
    assert len(mine) == 1
    assert (mine[0]["role"], mine[0]["status"], mine[0]["display_name"]) == (
        "member",
        "active",
        "Ann",
    )
    assert mine[0]["user_id"] == approved["approved_user_id"]

    after = http.get("/api/v1/pairings/lookup", params={"token": started["token"]}).json()
    assert after["status"] == "approved" and after["approver_user_id"] == "admin:admin"
    again = http.post("/api/v1/pairings/approve", json={"token": started["token"]})
    assert again.status_code == 400 and again.json()["code"] == "FAILED_PRECONDITION"


def test_approve_with_a_chosen_role(http: httpx.Client) -> None:
    started = _start(http).json()
    body = {"token": started["token"], "role": "operator"}
    approved = http.post("/api/v1/pairings/approve", json=body).json()
    listing = http.get("/api/v1/identities", params={"role": "operator", "limit": 500}).json()
    assert approved["identity_id"] in [i["id"] for i in listing["items"]]


def test_deny_records_the_reason(http: httpx.Client) -> None:
    started = _start(http).json()
    no_reason = http.post("/api/v1/pairings/deny", json={"token": started["token"]})
    assert no_reason.status_code == 400, no_reason.text
    reply = http.post(
        "/api/v1/pairings/deny", json={"token": started["token"], "reason": "not one of us"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "id": started["id"],
        "status": "denied",
        "approver_user_id": "admin:admin",
        "denied_reason": "not one of us",
    }
    found = http.get("/api/v1/pairings/lookup", params={"token": started["token"]}).json()
    assert (found["status"], found["denied_reason"]) == ("denied", "not one of us")
    late = http.post("/api/v1/pairings/approve", json={"token": started["token"]})
    assert late.status_code == 400


def test_starts_past_the_limit_are_429_and_change_nothing(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    tokens = [_start(http, connector_user_id=user).json()["token"] for _ in range(5)]
    statuses = [
        http.get("/api/v1/pairings/lookup", params={"token": t}).json()["status"] for t in tokens
    ]
    assert statuses == ["expired", "expired", "pending", "pending", "pending"]
    limited = _start(http, connector_user_id=user)
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "RESOURCE_EXHAUSTED"
    assert "too many pairing requests" in limited.json()["message"]
    after = http.get("/api/v1/pairings/lookup", params={"token": tokens[2]}).json()
    assert after["status"] == "pending"
    other = _start(http, connector="cline")  # another account; cline and gemini pair too
    assert other.status_code == 201, other.text
