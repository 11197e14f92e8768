"""The HTTP/1.1 server (http1.py) over real sockets: requests, responses and what it refuses,
as a client sees them on the wire."""

from __future__ import annotations

import asyncio

import pytest

from tests.unit.gateway_svc.rest.http1_kit import (
    STREAM_CHUNKS,
    TIMEOUT,
    Serve,
    Served,
    get,
    post,
    request,
)

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
    assert first.header("content-length") == str(len(first.body))
    assert first.header("connection") is None
    assert first.json() == {"method": "GET", "path": "/first", "query": "a=1&b=2", "body": ""}
    assert second.status == 200
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
    assert final.status == 200
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
    assert head.status == 200
    assert head.header("content-length") == "10"
    assert head.body == b""
    assert (full.status, full.body) == (200, b"sized body")


async def test_head_of_an_app_that_sends_a_body_sends_no_body_bytes(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/echo").replace(b"GET", b"HEAD", 1))
        head = await client.response(head=True)
        await client.send(get("/next"))
        after = await client.response()
    finally:
        client.close()
    assert head.status == 200
    assert head.header("transfer-encoding") is None
    assert after.json()["path"] == "/next"  # the echo body of the HEAD was not sent


async def test_a_streamed_response_is_chunked(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/stream", "Connection: close"))
        raw = await client.rest()
    finally:
        client.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ntransfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert body == b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n4\r\nfour\r\n0\r\n\r\n"


async def test_a_streamed_response_keeps_the_connection_usable(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/stream"))
        streamed = await client.response()
        await client.send(get("/after"))
        after = await client.response()
    finally:
        client.close()
    assert streamed.chunks == [*STREAM_CHUNKS, b"four"]
    assert after.json()["path"] == "/after"


async def test_an_http10_client_gets_no_chunked_response(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(b"GET /stream HTTP/1.0\r\n\r\n")
        raw = await client.rest()
    finally:
        client.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert body == b"onetwothreefour"


# --- what the server refuses ----------------------------------------------------------------


async def test_malformed_request_gets_400_and_close(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(b"GARBAGE\r\n\r\n")
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 400
    assert response.header("connection") == "close"
    assert response.json()["code"] == "INVALID_ARGUMENT"
    assert served.app.paths == []


@pytest.mark.parametrize(
    "raw",
    [
        get("/", "X-Big: " + "a" * 2000),
        get("/" + "a" * 2000),
        get("/", *(f"X-Many-{i}: {'a' * 20}" for i in range(100))),
    ],
    ids=["long-header", "long-url", "many-headers"],
)
async def test_a_head_over_max_head_gets_431_and_close(serve: Serve, raw: bytes) -> None:
    served = await serve(max_head=1024)
    client = await served.client()
    try:
        await client.send(raw)
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 431
    assert response.header("connection") == "close"
    assert served.app.paths == []


async def test_an_unterminated_header_over_max_head_gets_431(serve: Serve) -> None:
    served = await serve(max_head=1024, idle_timeout=1.0)
    client = await served.client()
    try:
        await client.send(b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 64 * 1024)
        response = await client.response()
    finally:
        client.close()
    assert response.status == 431


async def test_a_body_over_max_body_is_cut_and_the_connection_closed(serve: Serve) -> None:
    served = await serve(max_body=100)
    client = await served.client()
    try:
        # 150 of 1000 bytes: past the limit, and the rest is still to come.
        await client.send(post("/limit", b"x" * 1000)[:-850])
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    [message] = served.app.received
    assert message["more_body"] is True
    assert len(message["body"]) > 100
    assert response.status == 413
    assert response.header("connection") == "close"


async def test_a_chunked_body_cut_at_max_body_is_not_passed_as_whole(serve: Serve) -> None:
    served = await serve(max_body=100)
    chunks = b"".join(b"%x\r\n%s\r\n" % (n, b"x" * n) for n in (50, 100, 30)) + b"0\r\n\r\n"
    head = b"POST /limit HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
    client = await served.client()
    try:
        await client.send(head + chunks)  # 180 bytes of body in one write
        response = await client.response()
    finally:
        client.close()
    [message] = served.app.received
    assert message["more_body"] or len(message["body"]) == 180
    assert response.status == 413


async def test_a_large_body_over_max_body_still_gets_its_413(serve: Serve) -> None:
    served = await serve(max_body=100)
    client = await served.client()
    try:
        client.writer.write(post("/limit", b"x" * 1_000_000))  # more than the server reads
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 413


async def test_a_failing_app_gets_500_and_the_server_serves_on(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/boom"))
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert response.status == 500
    assert response.header("content-type") == "application/json"
    assert response.header("connection") == "close"
    assert response.json()["code"] == "INTERNAL"
    after = await request(served.port, get("/after"))
    assert after.json()["path"] == "/after"


async def test_an_unread_body_is_dropped_with_the_connection(served: Served) -> None:
    # The body looks like a request: it must never be parsed as one.
    smuggled = get("/smuggled")
    head = f"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: {100_000}\r\n\r\n"
    client = await served.client()
    try:
        await client.send(head.encode() + smuggled)  # the app answers before the body is in
        response = await client.response()
        assert await client.closed()
    finally:
        client.close()
    assert (response.status, response.body) == (200, b"early")
    assert response.header("connection") == "close"
    assert served.app.paths == ["/early"]


async def test_a_header_value_with_crlf_does_not_reach_the_wire(served: Served) -> None:
    client = await served.client()
    try:
        await client.send(get("/inject"))
        raw = await client.rest()
    finally:
        client.close()
    assert b"\nx-injected" not in raw.lower()
    assert raw.startswith(b"HTTP/1.1 500 ")
