"""Chat messages through gateway_svc, each service its own process over mTLS (store_svc on
SQLite, qmd_svc, orchestrator_svc with its no-model agent, gateway_svc with its REST edge).

`/status` through HandleMessage over gRPC (as the connectors) and through POST /api/v1/chat
(as the admin certificate), `--in-flight` at once, every message a new message id: each is
journaled, resolves its context and sender, asks qmd and stores its outcome. The ceiling is
a trivial echo servicer served by svckit (same interceptors, same mTLS) in the same run. Then
conversation turns one at a time, p50 from HandleMessage to its reply: the agent is the
no-model agent (retrieval only, no LLM call), standing in for a 0 ms LLM.
Targets (issue #11): /status >= 25% of echo calls/s; turn overhead p50 < 30 ms.
Last line: ``status_msgs_per_s=… chat_status_msgs_per_s=… echo_calls_per_s=… turn_p50_ms=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import ssl
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from bench._common import closed_loop, figures, parse_args, percentile
from svckit import loop, testing
from svckit.pki import PkiPaths

KEYS = ("status_msgs_per_s", "chat_status_msgs_per_s", "echo_calls_per_s", "turn_p50_ms")
_ids = itertools.count()


@contextlib.contextmanager
def stack(pki: PkiPaths, tmp: Path, rest_port: int) -> Iterator[int]:
    """store, qmd, orchestrator and gateway processes; yields the gateway's gRPC port."""
    env: dict[str, str] = {}  # one data dir: qmd and the orchestrator share its workspaces
    with contextlib.ExitStack() as procs:
        store = procs.enter_context(testing.service_process("store_svc", pki, tmp, env))
        env["AGENT_RUNTIME_STORE_ADDR"] = f"127.0.0.1:{store.grpc}"
        qmd = procs.enter_context(testing.service_process("qmd_svc", pki, tmp, env))
        env["AGENT_RUNTIME_QMD_ADDR"] = f"127.0.0.1:{qmd.grpc}"
        orch = procs.enter_context(testing.service_process("orchestrator_svc", pki, tmp, env))
        env["AGENT_RUNTIME_ORCHESTRATOR_ADDR"] = f"127.0.0.1:{orch.grpc}"
        env["AGENT_RUNTIME_REST_PORT"] = str(rest_port)
        gateway = procs.enter_context(testing.service_process("gateway_svc", pki, tmp, env))
        yield gateway.grpc


def _message(text: str) -> pb.HandleMessageRequest:
    n = next(_ids)
    return pb.HandleMessageRequest(
        connector="telegram", external_id=f"chat-{n % 64}", from_user_id=f"u-{n % 64}",
        text=text, message_id=f"m-{n}", direct_message=True,
    )  # fmt: skip


async def grpc_status(pki: PkiPaths, port: int, in_flight: int, seconds: float) -> float:
    async with testing.client_channel(pki, port, "svc:connectors") as channel:
        stub = GatewayServiceStub(channel)

        async def call() -> None:
            reply = await stub.HandleMessage(_message("/status"), timeout=30)
            assert reply.reply.startswith("Workspace `"), reply.reply

        await closed_loop(call, in_flight, min(0.5, seconds))  # contexts exist, TLS warm
        return (await closed_loop(call, in_flight, seconds)).per_second


async def rest_status(pki: PkiPaths, port: int, in_flight: int, seconds: float) -> float:
    tls = ssl.create_default_context(cafile=str(pki.ca_cert))
    admin = pki.admin("admin")
    tls.load_cert_chain(str(admin.cert), str(admin.key))
    base = f"https://127.0.0.1:{port}"
    # One client of one keep-alive connection per message in flight: httpx's pool scans all
    # its connections on every request, which at 64 costs the load generator more CPU than
    # the gateway spends on the request (py-spy), so one shared pool measured httpx.
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(in_flight):
            client = httpx.AsyncClient(base_url=base, verify=tls, limits=one, timeout=30)
            idle.put_nowait(await stack.enter_async_context(client))

        async def call() -> None:
            n = next(_ids)
            body = {"text": "/status", "external_id": f"cli-{n % 64}", "message_id": f"r-{n}"}
            http = idle.get_nowait()
            try:
                reply = await http.post("/api/v1/chat", json=body)
            finally:
                idle.put_nowait(http)
            assert reply.status_code == 200, reply.text

        await closed_loop(call, in_flight, min(0.5, seconds))
        return (await closed_loop(call, in_flight, seconds)).per_second


async def turns(pki: PkiPaths, port: int, count: int) -> list[float]:
    samples = []
    async with testing.client_channel(pki, port, "svc:connectors") as channel:
        stub = GatewayServiceStub(channel)
        for n in range(count + 1):
            start = time.perf_counter()
            reply = await stub.HandleMessage(_message(f"what changed in release {n}?"), timeout=60)
            assert not reply.pending and reply.task_id, reply
            if n:  # the first one warms the chat's context and the connection
                samples.append(time.perf_counter() - start)
    return samples


async def echo_rate(pki: PkiPaths, port: int, in_flight: int, seconds: float) -> float:
    async with testing.client_channel(pki, port, "svc:orchestrator") as channel:
        stub = echo_pb2_grpc.EchoServiceStub(channel)
        req = echo_pb2.EchoRequest(payload=b"x" * 64)

        async def call() -> None:
            await stub.Echo(req, timeout=10)

        await closed_loop(call, in_flight, min(0.5, seconds))
        return (await closed_loop(call, in_flight, seconds)).per_second


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--in-flight", type=int, default=64, help="concurrent messages")
    parser.add_argument("--seconds", type=float, default=5.0, help="each throughput leg")
    parser.add_argument("--turns", type=int, default=100, help="conversation turns")
    args = parse_args(parser, argv, smoke={"seconds": 0.5, "turns": 5})
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp_name:
        tmp = Path(tmp_name)
        pki = testing.make_pki(tmp / "pki")
        with testing.service_process("bench._store_echo_server", pki, tmp) as echo_srv:
            echo = loop.run(echo_rate(pki, echo_srv.grpc, args.in_flight, args.seconds))
        print(f"echo (svckit, mTLS, {args.in_flight} in flight): {echo:.0f} calls/s")
        rest_port = testing.free_port()
        with stack(pki, tmp, rest_port) as port:
            status = loop.run(grpc_status(pki, port, args.in_flight, args.seconds))
            print(f"/status via HandleMessage: {status:.0f} msgs/s ({status / echo:.0%} of echo)")
            chat = loop.run(rest_status(pki, rest_port, args.in_flight, args.seconds))
            print(f"/status via /api/v1/chat: {chat:.0f} msgs/s ({chat / echo:.0%} of echo)")
            lat = loop.run(turns(pki, port, args.turns))
    p50 = percentile(lat, 50) * 1000
    print(f"conversation turn (no-model agent), {len(lat)} turns: p50 {p50:.1f} ms")
    print(
        figures(
            status_msgs_per_s=status,
            chat_status_msgs_per_s=chat,
            echo_calls_per_s=echo,
            turn_p50_ms=p50,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
