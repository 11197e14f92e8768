"""The webhook plugin against a real HTTP server on 127.0.0.1: non-public targets are
refused (and nothing is sent) unless AGENT_RUNTIME_WEBHOOK_ALLOWED_HOSTS allows them; an
allowed request carries Idempotency-Key = the approval id; at most 1 KiB is read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent_runtime.store.v1.approval_pb2 import ActionApproval
from orchestrator_svc.actions.webhook import Allowed, Webhook
from svckit.errors import FailedPrecondition, PermissionDenied


class Server:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.status, self.body = 200, b"ok"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size)
                outer.seen.append((self.command, self.path, dict(self.headers), body))
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    # polls for shutdown every 20 ms (the stdlib's 0.5 s made each teardown that long)
    thread = threading.Thread(target=s.httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _approval(target: str) -> ActionApproval:
    return ActionApproval(
        id="act_42", workspace_id="ws", action_type="http_request", action_target=target
    )


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hook",  # loopback
        "http://localhost:{port}/hook",  # a name that resolves to loopback
        "http://[::1]:{port}/hook",  # IPv6 loopback
        "http://10.1.2.3:{port}/hook",  # private
        "http://192.168.0.10/hook",  # private
        "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "http://[fe80::1]/hook",  # IPv6 link-local
        "http://[::ffff:127.0.0.1]:{port}/hook",  # loopback mapped into IPv6
    ],
)
async def test_non_public_targets_are_refused_and_nothing_is_sent(
    server: Server, target: str
) -> None:
    hook = Webhook(Allowed([]), timeout_s=5)
    with pytest.raises(PermissionDenied, match="non-public address"):
        await hook.execute(_approval(target.format(port=server.port)), {})
    assert server.seen == []


async def test_a_setting_allows_a_host_and_the_request_carries_the_idempotency_key(
    server: Server,
) -> None:
    for allowed, host in (("127.0.0.1", "127.0.0.1"), ("localhost", "localhost"),
                          ("127.0.0.0/8", "127.0.0.1")):  # fmt: skip
        hook = Webhook(Allowed(allowed.split(",")), timeout_s=5)
        url = f"http://{host}:{server.port}/hook?x=1"
        payload = {"json": {"a": 1}, "headers": {"X-Trace": "t1", "Idempotency-Key": "forged"}}
        message = await hook.execute(_approval(url), payload)
        assert message == "webhook request completed with status 200"
        method, path, headers, body = server.seen[-1]
        assert (method, path, body) == ("POST", "/hook?x=1", b'{"a": 1}')
        assert headers["Idempotency-Key"] == "act_42"  # never the payload's own
        assert headers["Host"] == f"{host}:{server.port}" and headers["X-Trace"] == "t1"
    assert len(server.seen) == 3


async def test_a_failed_request_reports_at_most_1_kib_of_the_answer(server: Server) -> None:
    server.status, server.body = 500, b"E" * 5000
    hook = Webhook(Allowed(["127.0.0.1"]), timeout_s=5)
    with pytest.raises(FailedPrecondition) as failed:
        await hook.execute(_approval(f"http://127.0.0.1:{server.port}/"), {})
    assert failed.value.message == "webhook request failed: status=500 body=" + "E" * 1024


async def test_only_http_and_https_urls() -> None:
    hook = Webhook(Allowed(["127.0.0.1"]), timeout_s=5)
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/x", ""):
        with pytest.raises(Exception, match="url"):
            await hook.execute(_approval(target), {})
