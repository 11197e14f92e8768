"""What RestApp asks of a request before a backend is called, through HTTPS to the testing
backend: JSON content type on every method but GET/HEAD (CSRF), parseable JSON (400, never
500), whole bodies in time (408) and within the limit (413)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.stack import TOKEN, Stack, running_stack
from tests.unit.gateway_svc.rest.wire import Client, client_tls

RETRY = "/api/v1/testing/items/i1:retry"
AUTH = f"Authorization: Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("POST", {"content-type": "text/plain"}, b""),  # the review finding: it reached :cancel
        ("POST", {"content-type": "text/plain"}, b'{"reason": "x"}'),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, b"reason=x"),
        ("POST", {"content-type": "multipart/form-data; boundary=b"}, b""),
        ("POST", {}, b""),
        ("DELETE", {}, b""),
    ],
    ids=["text-empty", "text-json", "form", "multipart", "no-type", "delete-no-type"],
)
async def test_a_write_that_is_not_json_is_415_and_never_called(
    stack: Stack, method: str, headers: dict[str, str], body: bytes
) -> None:
    path = RETRY if method == "POST" else "/api/v1/testing/items/i2"
    async with stack.client() as c:
        r = await c.request(method, path, headers=headers, content=body)
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "INVALID_ARGUMENT" and "application/json" in r.json()["message"]


async def test_json_writes_with_and_without_a_body_are_served(stack: Stack) -> None:
    json_type = {"content-type": "application/json"}
    async with stack.client() as c:
        empty = await c.post(RETRY, headers=json_type)
        charset = await c.post(
            RETRY,
            content=b'{"reason": "r"}',
            headers={"content-type": "application/json; charset=utf-8"},
        )
        deleted = await c.delete("/api/v1/testing/items/i2", headers=json_type)
    assert empty.status_code == 200 and empty.json()["retry_of"] == "i1"
    assert charset.status_code == 200 and charset.json()["reason"] == "r"
    assert deleted.status_code == 200


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"reason": ' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b'{"reason": "x", "id": ' + b"9" * 5000 + b"}", "invalid number"),
        (b'{"reason": 1e999}', "out of range"),
        (b'{"reason": NaN}', "not a JSON value"),
        (b'{"reason": "a", "reason": "b"}', "duplicate key"),
    ],
    ids=["deep-arrays", "deep-objects", "huge-int", "huge-float", "nan", "duplicate"],
)
async def test_json_edge_cases_are_400_not_500(stack: Stack, body: bytes, says: str) -> None:
    async with stack.client() as c:
        r = await c.post(RETRY, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "INVALID_ARGUMENT" and says in r.json()["message"]


@pytest.fixture
async def strict(pki: PkiPaths) -> AsyncIterator[Stack]:
    async with running_stack(pki, rest_idle_timeout_seconds=0.3, rest_max_body_bytes=4096) as stack:
        yield stack


async def _raw(stack: Stack, raw: bytes) -> tuple[int, str | None, bool]:
    """Send `raw` (a request head and what there is of its body); status, Connection header,
    and whether the server then closed the connection."""
    port = int(stack.base_url.rsplit(":", 1)[1])
    client = await Client.open(port, client_tls(stack.pki))
    try:
        client.writer.write(raw)  # not drained: the server may answer before reading it all
        response = await client.response()
        closed = await client.closed()
    finally:
        client.close()
    return response.status, response.header("connection"), closed


def _post(length: int, body: bytes) -> bytes:
    head = (
        f"POST {RETRY} HTTP/1.1\r\nHost: t\r\n{AUTH}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    return head.encode() + body


async def test_a_body_that_stops_coming_is_408_and_closed(strict: Stack) -> None:
    assert await _raw(strict, _post(100, b'{"reason"')) == (408, "close", True)


async def test_a_body_over_the_limit_is_413_and_closed(strict: Stack) -> None:
    declared = _post(1_000_000, b"x" * 200_000)  # declared too large, and sent on regardless
    assert await _raw(strict, declared) == (413, "close", True)
    chunked = (
        (
            f"POST {RETRY} HTTP/1.1\r\nHost: t\r\n{AUTH}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        + b"1000\r\n"
        + b" " * 4096
        + b"\r\n"
        + b"10\r\n"
        + b" " * 16
        + b"\r\n"
    )
    assert await _raw(strict, chunked) == (413, "close", True)
