"""Every mapping feature of the testing proto, through real HTTPS to a real mTLS backend."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.stack import Stack, running_stack


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return testing.make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture
async def stack(pki: PkiPaths) -> AsyncIterator[Stack]:
    async with running_stack(pki) as s:
        yield s


async def test_path_capture_numbers_and_identity(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.get("/api/v1/testing/items/a%20b", headers={"x-request-id": "req-1"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    item = r.json()["item"]
    assert item["id"] == "a b" and item["size"] == 2**40 and item["views"] == 2**63 + 5
    assert item["labels"] == {"caller": "admin:token", "request_id": "req-1"}
    assert r.headers["x-request-id"] == "req-1"


async def test_additional_binding_with_query_parameter(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.get("/api/v1/testing/items:lookup", params={"id": "q1"})
    assert r.status_code == 200 and r.json()["item"]["id"] == "q1"


async def test_body_star(stack: Stack) -> None:
    body = {
        "item": {
            "title": "t",
            "size": "12",
            "kind": "KIND_SMALL",
            "tags": ["x"],
            "labels": {"a": "b"},
            "due_at_unix": 5,
            "blob": "AAE=",
        }
    }
    async with stack.client() as c:
        r = await c.post("/api/v1/testing/items", json=body)
    assert r.status_code == 200
    item = r.json()["item"]
    assert item["id"] == "new" and item["size"] == 12 and item["due_at_unix"] == 5
    assert item["tags"] == ["x"] and item["labels"] == {"a": "b"} and item["blob"] == "AAE="


async def test_single_body_field_nested_path_and_query(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.patch(
            "/api/v1/testing/items/i7?fields=title&fields=size&validate_only=true",
            json={"id": "ignored", "title": "new title"},
        )
    assert r.status_code == 200
    doc = r.json()
    assert doc["item"]["id"] == "i7" and doc["item"]["title"] == "new title"
    assert doc["fields"] == ["title", "size"] and doc["validate_only"] is True


async def test_wildcard_and_nested_repeated_optional_query(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.get(
            "/api/v1/testing/workspaces/w1/items",
            params=[
                ("limit", "2"),
                ("tags", "a"),
                ("tags", "b"),
                ("filter.kind", "KIND_LARGE"),
                ("filter.min_size", "9007199254740993"),
                ("active_only", "false"),
            ],
        )
    assert r.status_code == 200
    doc = r.json()
    assert doc["count"] == 2 and doc["items"][0]["id"] == "workspaces/w1/items/0"
    req = doc["request"]
    assert req["parent"] == "workspaces/w1" and req["tags"] == ["a", "b"]
    assert req["filter"] == {"kind": "KIND_LARGE", "min_size": 9007199254740993}
    assert req["active_only"] is False


async def test_custom_verb_and_response_body(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.post("/api/v1/testing/items/i1:retry", json={"reason": "flaky"})
        # no body, but every method other than GET/HEAD says it speaks JSON (CSRF)
        d = await c.delete("/api/v1/testing/items/i2", headers={"content-type": "application/json"})
    assert r.json() == {"id": "retry-i1", "retry_of": "i1", "reason": "flaky"}
    assert d.status_code == 200 and d.json() == {"id": "i2", "deleted": True}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("missing", 404, "NOT_FOUND"),
        ("error-ALREADY_EXISTS", 409, "ALREADY_EXISTS"),
        ("error-FAILED_PRECONDITION", 400, "FAILED_PRECONDITION"),
        ("error-RESOURCE_EXHAUSTED", 429, "RESOURCE_EXHAUSTED"),
        ("error-UNAVAILABLE", 503, "UNAVAILABLE"),
        ("error-INTERNAL", 500, "INTERNAL"),
    ],
)
async def test_backend_errors_map_through_the_table(
    stack: Stack, path: str, status: int, code: str
) -> None:
    async with stack.client() as c:
        r = await c.get(f"/api/v1/testing/items/{path}")
    assert r.status_code == status
    doc = r.json()
    assert doc["code"] == code and doc["message"] and isinstance(doc["details"], dict)
    if code == "NOT_FOUND":
        assert doc["details"] == {"id": "missing"}


@pytest.mark.parametrize(
    ("method", "url", "kw", "status"),
    [
        (
            "POST",
            "/api/v1/testing/items",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("POST", "/api/v1/testing/items", {"json": {"bogus": 1}}, 400),
        ("POST", "/api/v1/testing/items", {"json": [1, 2]}, 400),
        (
            "POST",
            "/api/v1/testing/items",
            {"content": b"{}", "headers": {"content-type": "text/plain"}},
            415,
        ),
        ("POST", "/api/v1/testing/items", {"json": {"item": {"title": "x" * (2 << 20)}}}, 413),
        ("GET", "/api/v1/testing/workspaces/w/items?limit=abc", {}, 400),
        ("GET", "/api/v1/testing/workspaces/w/items?nope=1", {}, 400),
        ("GET", "/api/v1/testing/workspaces/w/items?filter.kind=HUGE", {}, 400),
        ("GET", "/api/v1/testing/items", {}, 405),
        ("GET", "/api/v1/nowhere", {}, 404),
    ],
)
async def test_bad_requests_never_500(
    stack: Stack, method: str, url: str, kw: dict[str, object], status: int
) -> None:
    async with stack.client() as c:
        r = await c.request(method, url, **kw)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    assert set(r.json()) == {"code", "message", "details"}


async def test_backend_down_is_503_and_readyz_names_it(pki: PkiPaths) -> None:
    async with running_stack(pki, backend=False) as stack, stack.client(token=None) as c:
        r = await c.get("/readyz")
        assert r.status_code == 503 and "testing" in r.json()["error"]
        assert (await c.get("/healthz")).json() == {"status": "ok"}
    async with running_stack(pki, backend=False) as stack, stack.client() as c:
        r = await c.get("/api/v1/testing/items/x")
        assert r.status_code == 503 and r.json()["code"] == "UNAVAILABLE"


async def test_readyz_ok_when_backends_serve(stack: Stack) -> None:
    async with stack.client(token=None) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
