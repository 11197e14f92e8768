"""The REST edge in front of the real services (`agent-runtime up`): requests it refuses on
their framing or their content type change nothing, whatever the backend would have done."""

from __future__ import annotations

import json
import socket
import ssl
import time
import uuid
from collections.abc import Iterator, Sequence

import httpx
import pytest

from tests.integration.conftest import Stack


@pytest.fixture
def tls(stack: Stack) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(stack.pki.ca_cert))
    ctx.load_cert_chain(str(stack.admin.cert), str(stack.admin.key))
    return ctx


@pytest.fixture
def http(stack: Stack, tls: ssl.SSLContext) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.endpoints["rest"], verify=tls, timeout=15) as client:
        yield client


@pytest.fixture
def workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:8]}"


def _exchange(stack: Stack, tls: ssl.SSLContext, writes: Sequence[bytes]) -> bytes:
    """Send `writes` one by one on a new connection; all the server sends until it closes."""
    host, port = stack.endpoints["rest"].removeprefix("https://").rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=15) as raw,
        tls.wrap_socket(raw, server_hostname="localhost") as conn,
    ):
        for data in writes:
            conn.sendall(data)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def _task_body(workspace: str) -> bytes:
    # Held back an hour (not_before_unix) so that the stack's workers leave it queued.
    doc = {
        "workspace_id": workspace,
        "context_id": "edge",
        "title": "t",
        "prompt": "p",
        "not_before_unix": int(time.time()) + 3600,
    }
    return json.dumps(doc).encode()


def _head(*headers: str) -> bytes:
    lines = ["POST /api/v1/tasks HTTP/1.1", "Host: localhost", "Content-Type: application/json"]
    return ("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode()


def _framings(body: bytes) -> dict[str, list[bytes]]:
    """A task creation, framed wrongly in ways a lenient parser would still read as one."""
    size = b"%x" % len(body)
    chunked = _head("Transfer-Encoding: chunked")
    return {
        "content-length-and-chunked": [
            _head(f"Content-Length: {len(body) + 7}", "Transfer-Encoding: chunked")
            + size
            + b"\r\n"
            + body
            + b"\r\n0\r\n\r\n"
        ],
        "chunked-then-length": [
            _head("Transfer-Encoding: chunked", f"Content-Length: {len(body)}")
            + size
            + b"\r\n"
            + body
            + b"\r\n0\r\n\r\n"
        ],
        "transfer-encoding-not-chunked": [
            _head("Transfer-Encoding: identity", f"Content-Length: {len(body)}") + body
        ],
        "transfer-encoding-in-http10": [
            _head("Transfer-Encoding: chunked").replace(b"HTTP/1.1", b"HTTP/1.0")
            + size
            + b"\r\n"
            + body
            + b"\r\n0\r\n\r\n"
        ],
        "bare-lf-chunk-size": [chunked + size + b"\n" + body + b"\r\n0\r\n\r\n"],
        "oversize-chunk-size": [chunked + b"1" + b"0" * 16 + b"\r\n" + body + b"\r\n0\r\n\r\n"],
        "broken-in-a-later-write": [chunked + size + b"\r\n" + body + b"\r\n", b"0\n\n"],
    }


@pytest.mark.parametrize("case", list(_framings(b"")))
def test_badly_framed_creations_are_400_and_create_nothing(
    stack: Stack, tls: ssl.SSLContext, http: httpx.Client, workspace: str, case: str
) -> None:
    answer = _exchange(stack, tls, _framings(_task_body(workspace))[case])
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1  # one answer, and not the creation's 202
    listing = http.get("/api/v1/tasks", params={"workspace_id": workspace})
    assert listing.status_code == 200 and listing.json()["count"] == 0, listing.text


def test_the_same_creation_framed_well_creates_the_task(
    stack: Stack, tls: ssl.SSLContext, http: httpx.Client, workspace: str
) -> None:
    body = _task_body(workspace)
    chunked = _head("Transfer-Encoding: chunked") + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = _exchange(
        stack, tls, [chunked.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)]
    )
    assert answer.startswith(b"HTTP/1.1 202 "), answer[:200]
    assert http.get("/api/v1/tasks", params={"workspace_id": workspace}).json()["count"] == 1


def test_a_cancel_that_is_not_json_is_415_and_the_task_stays_queued(
    http: httpx.Client, workspace: str
) -> None:
    created = http.post(
        "/api/v1/tasks", content=_task_body(workspace), headers={"content-type": "application/json"}
    )
    assert created.status_code == 202, created.text
    task_id = created.json()["id"]
    cancel = f"/api/v1/tasks/{task_id}:cancel"
    text_plain = http.post(cancel, content=b"", headers={"content-type": "text/plain"})
    untyped = http.post(cancel)
    form = http.post(cancel, data={"reason": "csrf"})
    assert [r.status_code for r in (text_plain, untyped, form)] == [415, 415, 415]
    assert http.get(f"/api/v1/tasks/{task_id}").json()["status"] == "queued"
    as_json = http.post(cancel, content=b"", headers={"content-type": "application/json"})
    assert as_json.status_code == 200, as_json.text
    assert http.get(f"/api/v1/tasks/{task_id}").json()["status"] == "canceled"
