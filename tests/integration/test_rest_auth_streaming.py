"""Who may call the REST API, and server streaming as SSE / NDJSON."""

import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
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


async def test_no_credentials_is_401(stack: Stack) -> None:
    async with stack.client(token=None) as c:
        r = await c.get("/api/v1/testing/items/x")
        doc = await c.get("/api/v1/openapi.json")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert doc.status_code == 401


async def test_wrong_token_is_401(stack: Stack) -> None:
    async with stack.client(token="s3cret-tokem") as c:
        assert (await c.get("/api/v1/testing/items/x")).status_code == 401


async def test_admin_certificate_is_enough_and_its_identity_is_passed(stack: Stack) -> None:
    async with stack.client(token=None, cert=True) as c:
        r = await c.get("/api/v1/testing/items/x")
    assert r.status_code == 200
    assert r.json()["item"]["labels"]["caller"] == "admin:admin"


async def test_service_certificate_is_not_an_admin(stack: Stack) -> None:
    ctx = ssl.create_default_context(cafile=str(stack.pki.ca_cert))
    pair = stack.pki.service("scheduler")
    ctx.load_cert_chain(str(pair.cert), str(pair.key))
    async with httpx.AsyncClient(base_url=stack.base_url, verify=ctx) as c:
        assert (await c.get("/api/v1/testing/items/x")).status_code == 401


async def test_certificate_from_another_ca_is_refused(stack: Stack, tmp_path: Path) -> None:
    other = testing.make_pki(tmp_path / "other")
    ctx = ssl.create_default_context(cafile=str(stack.pki.ca_cert))
    pair = other.admin("admin")
    ctx.load_cert_chain(str(pair.cert), str(pair.key))
    async with httpx.AsyncClient(base_url=stack.base_url, verify=ctx) as c:
        with pytest.raises(httpx.HTTPError):
            await c.get("/api/v1/testing/items/x")


async def test_stream_as_ndjson_by_default(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.get("/api/v1/testing/items:watch", params={"count": 3})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3] and lines[0]["item"]["id"] == "item-1"


async def test_stream_as_sse_ends_with_error_event(stack: Stack) -> None:
    params = {"count": 2, "fail_with": "ABORTED"}
    headers = {"accept": "text/event-stream"}
    async with stack.client() as c:
        r = await c.get("/api/v1/testing/items:watch", params=params, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    events = [e for e in r.text.split("\n\n") if e]
    assert events[0].startswith("data: ") and json.loads(events[1][6:])["seq"] == 2
    kind, data = events[2].split("\n")
    assert kind == "event: error"
    assert json.loads(data.removeprefix("data: "))["code"] == "ABORTED"


async def test_ndjson_error_line_and_early_failure_is_plain_http(stack: Stack) -> None:
    async with stack.client() as c:
        r = await c.get("/api/v1/testing/items:watch", params={"count": 1, "fail_with": "INTERNAL"})
        early = await c.get(
            "/api/v1/testing/items:watch", params={"count": 0, "fail_with": "NOT_FOUND"}
        )
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines[-1]["error"]["code"] == "INTERNAL"
    assert early.status_code == 404 and early.json()["code"] == "NOT_FOUND"
