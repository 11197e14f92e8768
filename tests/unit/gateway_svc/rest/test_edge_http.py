"""The HTTPS edge (RestServer: uvicorn's protocol, our listener) over real TLS sockets:
requests, responses, and what it refuses, as a client sees them on the wire."""

from __future__ import annotations

import asyncio

import pytest

from tests.unit.gateway_svc.rest.wire import STREAM_CHUNKS, TIMEOUT, Serve, Served, get, post

# --- requests and responses -----------------------------------------------------------------


async def test_get_is_answered_and_the_connection_kept_alive(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/first?a=1&b=2"))
        first = await client.response()
        await client.send(get("/second"))
        second = await client.response()
    finally:
        client.close()
    assert first.status == 200
    assert first.header("connection") is None
    assert first.json() == {"method": "GET", "path": "/first", "query": "a=1&b=2", "body": ""}
    assert second.json()["path"] == "/second"


async def test_pipelined_requests_are_answered_in_order(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/slow") + get("/after"))  # one write
        await asyncio.wait_for(served.app.started.wait(), TIMEOUT)
        served.app.release.set()
        first = await client.response()
        second = await client.response()
    finally:
        client.close()
    assert (first.status, first.body) == (200, b"slow done")
    assert (second.status, second.json()["path"]) == (200, "/after")


async def test_content_length_and_chunked_bodies_reach_the_app_whole(served: Served) -> None:
    chunked = (
        b"POST /chunked HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1\r\n \r\n"
    )
    client = await served.client()
    try:
        await client.send(post("/sized-body", b"a body of some length"))
        by_length = await client.response()
        await client.send(chunked)  # the rest of the chunked body comes in a second write
        await client.send(b"b\r\nchunked rid\r\n3\r\nes!\r\n0\r\n\r\n")
        by_chunks = await client.response()
    finally:
        client.close()
    assert by_length.json()["body"] == "a body of some length"
    assert by_chunks.json()["body"] == "hello chunked rides!"


async def test_expect_100_continue_is_answered_before_the_body(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(
            b"POST /expect HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        interim = await client.head()
        await client.send(b"12345")
        final = await client.response()
    finally:
        client.close()
    assert interim.status == 100
    assert final.json()["body"] == "12345"


async def test_head_gets_the_head_and_no_body(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/sized").replace(b"GET", b"HEAD", 1))
        head = await client.response(head=True)
        await client.send(get("/sized"))  # no body bytes came in between: framing holds
        full = await client.response()
    finally:
        client.close()
    assert (head.status, head.header("content-length"), head.body) == (200, "10", b"")
    assert (full.status, full.body) == (200, b"sized body")


async def test_a_streamed_response_is_chunked_and_keeps_the_connection(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/stream"))
        streamed = await client.response()
        await client.send(get("/after"))
        after = await client.response()
    finally:
        client.close()
    assert streamed.header("transfer-encoding") == "chunked"
    assert streamed.chunks == [*STREAM_CHUNKS, b"four"]
    assert after.json()["path"] == "/after"


async def test_an_unread_body_is_never_parsed_as_a_request(served: Served) -> None:
    smuggled = get("/smuggled")
    client = await served.client()
    try:
        await client.send(post("/early", smuggled))  # the app answers without reading it
        early = await client.response()
        await client.send(get("/after"))
        after = await client.response()
    finally:
        client.close()
    assert (early.status, early.body) == (200, b"early")
    assert after.json()["path"] == "/after"
    assert served.app.paths == ["/early", "/after"]


# --- what the edge refuses ------------------------------------------------------------------


async def _refused(served: Served, raw: bytes) -> tuple[int, str, str | None]:
    """Send `raw`; the status, error code and Connection header of the answer, once the
    server has closed the connection."""
    client = await served.client()
    try:
        await client.send(raw)
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    return response.status, response.json()["code"], response.header("connection")


_POST = b"POST /create HTTP/1.1\r\nHost: test\r\n"
_CHUNKED = _POST + b"Transfer-Encoding: chunked\r\n"
FRAMING = {
    "garbage": b"GARBAGE\r\n\r\n",
    "te-not-chunked": _POST + b"Transfer-Encoding: gzip\r\n\r\nabc",
    "te-chunked-not-last": _POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "te-twice": _CHUNKED + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "te-obfuscated": _POST + b"Transfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "te-in-http10": _CHUNKED.replace(b"1.1", b"1.0") + b"\r\n3\r\nabc\r\n0\r\n\r\n",
    "cl-and-te": _POST + b"Content-Length: 5\r\n" + _CHUNKED[len(_POST) :] + b"\r\n0\r\n\r\n",
    "te-and-cl": _CHUNKED + b"Content-Length: 5\r\n\r\n0\r\n\r\n",
    "cl-twice": _POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "cl-list": _POST + b"Content-Length: 3, 3\r\n\r\nabc",
    "bare-lf-chunk-size": _CHUNKED + b"\r\n3\nabc\r\n0\r\n\r\n",
    "bare-lf-after-chunk": _CHUNKED + b"\r\n3\r\nabc\n0\r\n\r\n",
    "bare-lf-last-chunk": _CHUNKED + b"\r\n3\r\nabc\r\n0\n\n",
    "chunk-size-overflow": _CHUNKED + b"\r\nFFFFFFFFFFFFFFFFF\r\nabc",
    "chunk-size-not-hex": _CHUNKED + b"\r\n0x3\r\nabc\r\n0\r\n\r\n",
    "bare-lf-head": b"POST /create HTTP/1.1\nHost: test\nContent-Length: 3\n\nabc",
    "obs-fold": _POST + b"X-A: a\r\n b\r\nContent-Length: 3\r\n\r\nabc",
    "no-host": b"POST /create HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    "two-hosts": _POST + b"Host: other\r\nContent-Length: 3\r\n\r\nabc",
    "upgrade": _POST + b"Connection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\nabc",
}


@pytest.mark.parametrize("raw", FRAMING.values(), ids=FRAMING.keys())
async def test_bad_framing_gets_400_and_close_and_never_reaches_the_app(
    served: Served, raw: bytes
) -> None:
    assert await _refused(served, raw) == (400, "INVALID_ARGUMENT", "close")
    assert served.app.paths == []


@pytest.mark.parametrize(
    "raw",
    [
        get("/", "X-Big: " + "a" * 2000),
        get("/" + "a" * 2000),
        get("/", *(f"X-Many-{i}: {'a' * 20}" for i in range(100))),
        b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 64 * 1024,  # never ends
    ],
    ids=["long-header", "long-url", "many-headers", "unterminated"],
)
async def test_a_head_over_max_head_gets_431_and_close(serve: Serve, raw: bytes) -> None:
    served = await serve(max_head=1024)
    assert await _refused(served, raw) == (431, "INVALID_ARGUMENT", "close")
    assert served.app.paths == []


async def test_a_failing_app_gets_500_and_the_server_serves_on(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/boom"))
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 500
    after = await served.request(get("/after"))
    assert after.json()["path"] == "/after"


async def test_a_header_value_with_crlf_does_not_reach_the_wire(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/inject"))
        raw = await client.rest()
    finally:
        client.close()
    assert b"x-injected" not in raw.lower()
