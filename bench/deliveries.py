"""Delivery through connectors_svc: notices from the outbox and direct Publish calls, each
recorded in the store's ledger before and after its platform call (store_svc and
connectors_svc each their own process over mTLS, SQLite), posted by the codex webhook adapter
to a local receiver.

Outbox leg: `--notices` deliveries (to 64 chats) are written to the ledger (CreateDelivery,
as the gateway and the orchestrator's notices do) `--in-flight` at a time; latency is from
the write to the receiver's arrival, throughput is notices over the whole drain. Publish
leg: a closed loop of Publish calls (`--in-flight` outstanding, `--seconds`). Baseline: the
same closed loop of plain POSTs to the receiver from a process of their own, in the same run.
Last line: ``outbox_per_s=… outbox_p50_ms=… outbox_p99_ms=… publish_per_s=… publish_p99_ms=…
direct_posts_per_s=… publish_ratio_to_direct=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent_runtime.connectors.v1 import service_pb2 as crpc
from agent_runtime.connectors.v1.service_pb2_grpc import ConnectorsServiceStub
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from bench._common import LoadResult, closed_loop, figures, parse_args, percentile
from svckit import loop, testing
from svckit.pki import PkiPaths

CHATS = 64  # notices to one chat go in order; different chats at once

KEYS = (
    "outbox_per_s",
    "outbox_p50_ms",
    "outbox_p99_ms",
    "publish_per_s",
    "publish_p99_ms",
    "direct_posts_per_s",
    "publish_ratio_to_direct",
)


async def outbox(
    pki: PkiPaths, store: int, posts: list[Any], n: int, in_flight: int
) -> list[float]:
    """Latencies (s) of `n` notices from the ledger write to the receiver."""
    written: dict[str, float] = {}
    gate = asyncio.Semaphore(in_flight)
    async with testing.client_channel(pki, store, "svc:gateway") as ch:
        stub = DeliveryServiceStub(ch)

        async def one(i: int) -> None:
            key = f"bench:{i}"
            async with gate:
                written[key] = time.time()
                request = drpc.CreateDeliveryRequest(
                    idempotency_key=key, connector="codex", chat_id=f"chat-{i % CHATS}",
                    text=f"notice {i}",
                )  # fmt: skip
                await stub.CreateDelivery(request, timeout=30)

        await asyncio.gather(*(one(i) for i in range(n)))
        end = time.monotonic() + 120
        while sum(1 for p in posts if p.key.startswith("bench:")) < n:
            if time.monotonic() > end:
                raise RuntimeError("the notices were not all delivered within 120 s")
            await asyncio.sleep(0.01)
    arrived = {p.key: p.at for p in posts if p.key.startswith("bench:")}
    return [arrived[k] - t for k, t in written.items()]


async def publish(pki: PkiPaths, port: int, in_flight: int, seconds: float) -> LoadResult:
    counter = itertools.count()
    async with testing.client_channel(pki, port, "admin:bench") as ch:
        stub = ConnectorsServiceStub(ch)

        async def call() -> None:
            i = next(counter)
            request = crpc.PublishRequest(
                connector="codex", external_id="bench", text=f"direct {i}",
                idempotency_key=f"publish:{i}",
            )  # fmt: skip
            reply = await stub.Publish(request, timeout=30)
            if reply.status != "sent":
                raise RuntimeError(f"publish {i}: {reply.status} {reply.error_message}")

        return await closed_loop(call, in_flight, seconds)


def direct(url: str, in_flight: int, seconds: float) -> float:
    """Plain POSTs per second from a process of their own (as connectors_svc posts)."""
    argv = [sys.executable, "-m", "bench._direct_posts", url, str(in_flight), str(seconds)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
    return float(out.stdout.strip().splitlines()[-1].split("=", 1)[1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deliveries", description=__doc__)
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parse_args(parser, argv, smoke={"notices": 40, "seconds": 0.5})
    from tests.webhooks import FakeWebhook  # the receiver the tests use

    fake = FakeWebhook().start()
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            pki = testing.make_pki(tmp / "pki")
            with testing.service_process("store_svc", pki, tmp / "store") as store:
                env = {
                    "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store.grpc}",
                    "AGENT_RUNTIME_GATEWAY_ADDR": f"127.0.0.1:{testing.free_port()}",
                    "AGENT_RUNTIME_CODEX_PUBLISH_URL": fake.url,
                }
                with testing.service_process("connectors_svc", pki, tmp / "c", env) as conn:
                    started = time.monotonic()
                    late = loop.run(
                        outbox(pki, store.grpc, fake.posts, args.notices, args.in_flight)
                    )
                    drained = time.monotonic() - started
                    pub = loop.run(publish(pki, conn.grpc, args.in_flight, args.seconds))
            base = direct(fake.url, args.in_flight, args.seconds)
    finally:
        fake.stop()
    rate = args.notices / drained if drained else 0.0
    p50, p99 = percentile(late, 50) * 1000, percentile(late, 99) * 1000
    print(f"outbox: {args.notices} notices in {drained:.2f} s")
    print(f"outbox: write -> arrival p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"publish: {pub.per_second:.0f}/s, p99 {pub.percentile_ms(99):.1f} ms")
    print(f"baseline: direct POSTs {base:.0f}/s at {args.in_flight} in flight")
    ratio = pub.per_second / base if base else 0.0
    print(
        figures(
            outbox_per_s=rate,
            outbox_p50_ms=p50,
            outbox_p99_ms=p99,
            publish_per_s=pub.per_second,
            publish_p99_ms=pub.percentile_ms(99),
            direct_posts_per_s=base,
            publish_ratio_to_direct=ratio,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
