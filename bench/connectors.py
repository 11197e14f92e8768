"""Telegram round trips end to end: a user's `/status` queued on the fake Telegram Bot API
server (tests/fake_telegram.py) → the Telegram adapter's long poll (python-telegram-bot) →
gateway_svc's HandleMessage (journal, context, qmd) → its reply sent with `sendMessage` back
to the fake server. store_svc (SQLite), qmd_svc, orchestrator_svc, gateway_svc and
connectors_svc (its core: sink, delivery ledger, supervisor, lease) are their own processes
over mTLS; `--chats` chats at once, each sending its next message as soon as the reply to its
last one arrived. The fake answers `getUpdates` as soon as an update is queued, so no polling
interval is in the figures.
Two loads, one after the other:
- saturation (the `round_trip_*` figures): every chat sends its next message as soon as the
  reply to its last one arrived, so the stack is never idle and the latency is mostly queueing
  behind the other chats' messages (about chats / throughput);
- paced (`paced_*`): every chat sends one message a second (Telegram lets a bot send one
  message a second per chat, and about 30 a second in all), the chats' seconds staggered, so
  the figure is the pipeline's own latency with all the chats active.
The baseline, measured in the same run: the same messages straight to HandleMessage, as
many at once. Target (issue #13): round-trip p95 < 100 ms.
Last line: ``telegram_round_trips_per_s=… round_trip_p50_ms=… round_trip_p95_ms=…
paced_p50_ms=… paced_p95_ms=… gateway_only_p95_ms=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from bench._common import figures, parse_args, percentile
from svckit import loop, testing
from svckit.pki import PkiPaths
from tests.fake_telegram import TOKEN, FakeTelegram, serving_telegram

if TYPE_CHECKING:
    from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceAsyncStub

KEYS = (
    "telegram_round_trips_per_s",
    "round_trip_p50_ms",
    "round_trip_p95_ms",
    "paced_p50_ms",
    "paced_p95_ms",
    "gateway_only_p95_ms",
)
FIRST_CHAT = 10_000


@contextlib.contextmanager
def stack(pki: PkiPaths, tmp: Path) -> Iterator[dict[str, str]]:
    """store, qmd, orchestrator and gateway processes; yields their addresses as settings."""
    env: dict[str, str] = {}
    with contextlib.ExitStack() as procs:
        store = procs.enter_context(testing.service_process("store_svc", pki, tmp, env))
        env["AGENT_RUNTIME_STORE_ADDR"] = f"127.0.0.1:{store.grpc}"
        qmd = procs.enter_context(testing.service_process("qmd_svc", pki, tmp, env))
        env["AGENT_RUNTIME_QMD_ADDR"] = f"127.0.0.1:{qmd.grpc}"
        orch = procs.enter_context(testing.service_process("orchestrator_svc", pki, tmp, env))
        env["AGENT_RUNTIME_ORCHESTRATOR_ADDR"] = f"127.0.0.1:{orch.grpc}"
        env["AGENT_RUNTIME_REST_PORT"] = str(testing.free_port())
        gateway = procs.enter_context(testing.service_process("gateway_svc", pki, tmp, env))
        env["AGENT_RUNTIME_GATEWAY_ADDR"] = f"127.0.0.1:{gateway.grpc}"
        yield env


async def round_trip(fake: FakeTelegram, chat: int) -> float:
    replies = fake.replies(chat)
    start = time.perf_counter()
    fake.say(chat, "/status", user_id=chat)
    sent = await asyncio.wait_for(replies.get(), 30)
    assert sent.parse_mode == "HTML" and sent.text.startswith("Workspace <code>"), sent.text
    return time.perf_counter() - start


async def saturated(fake: FakeTelegram, ids: range, seconds: float) -> list[float]:
    """Each chat sends its next message as soon as its last reply arrived."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def chat_loop(chat: int) -> None:
        while time.perf_counter() < end:
            latencies.append(await round_trip(fake, chat))

    await asyncio.gather(*(chat_loop(c) for c in ids))
    return latencies


async def paced(fake: FakeTelegram, ids: range, seconds: float, period: float) -> list[float]:
    """Each chat sends a message every `period` seconds, the chats spread over the period; a
    chat whose reply is late sends its next message as soon as the reply arrives."""
    latencies: list[float] = []
    start = time.perf_counter()

    async def chat_loop(n: int, chat: int) -> None:
        due = start + period * n / len(ids)
        while due < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            latencies.append(await round_trip(fake, chat))
            due += period

    await asyncio.gather(*(chat_loop(n, c) for n, c in enumerate(ids)))
    return latencies


async def measure(
    pki: PkiPaths, tmp: Path, gateway_env: dict[str, str], chats: int, seconds: float
) -> tuple[list[float], list[float]]:
    """connectors_svc as its own process, its Telegram adapter on a fake served by this
    process's event loop (the process starts in a thread, so the fake answers meanwhile)."""
    async with serving_telegram() as (fake, api_base):
        env = {
            **gateway_env,
            "AGENT_RUNTIME_TELEGRAM_TOKEN": TOKEN,
            "AGENT_RUNTIME_TELEGRAM_API_BASE": api_base,
            "AGENT_RUNTIME_TELEGRAM_POLL_SECONDS": "25",
        }
        with contextlib.ExitStack() as procs:
            start = testing.service_process("connectors_svc", pki, tmp, env)
            await asyncio.to_thread(procs.enter_context, start)
            ids = range(FIRST_CHAT, FIRST_CHAT + chats)
            await asyncio.gather(*(round_trip(fake, c) for c in ids))  # contexts, connections
            return await saturated(fake, ids, seconds), await paced(fake, ids, seconds, 1.0)


async def gateway_only(pki: PkiPaths, port: int, chats: int, seconds: float) -> list[float]:
    """The baseline: the same `/status` messages straight to HandleMessage, `chats` at once."""
    ids = itertools.count()
    async with testing.client_channel(pki, port, "svc:connectors") as channel:
        stub: GatewayServiceAsyncStub = GatewayServiceStub(channel)
        latencies: list[float] = []
        end = time.perf_counter() + seconds

        async def chat_loop(chat: int) -> None:
            while time.perf_counter() < end:
                start = time.perf_counter()
                request = pb.HandleMessageRequest(
                    connector="telegram", external_id=str(chat), from_user_id=str(chat),
                    text="/status", message_id=f"b{next(ids)}", direct_message=True,
                )  # fmt: skip
                await stub.HandleMessage(request, timeout=30)
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(chat_loop(c) for c in range(FIRST_CHAT, FIRST_CHAT + chats)))
        return latencies


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.connectors", description=__doc__)
    parser.add_argument("--chats", type=int, default=64, help="chats sending at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time")
    args = parse_args(parser, argv, smoke={"chats": 4, "seconds": 0.5})
    with tempfile.TemporaryDirectory(prefix="bench-connectors-") as tmp_name:
        tmp = Path(tmp_name)
        pki = testing.make_pki(tmp / "pki")
        with stack(pki, tmp) as env:
            lat, slow = loop.run(measure(pki, tmp, env, args.chats, args.seconds))
            gateway_port = int(env["AGENT_RUNTIME_GATEWAY_ADDR"].rpartition(":")[2])
            base = loop.run(gateway_only(pki, gateway_port, args.chats, args.seconds))
    rate = len(lat) / args.seconds
    p50, p95 = percentile(lat, 50) * 1000, percentile(lat, 95) * 1000
    print(f"saturated, {len(lat)} round trips, {args.chats} chats: p50 {p50:.1f}, p95 {p95:.1f} ms")
    paced_p50, paced_p95 = percentile(slow, 50) * 1000, percentile(slow, 95) * 1000
    print(f"paced, one message a second per chat: p50 {paced_p50:.1f} ms, p95 {paced_p95:.1f} ms")
    base_p50, base_p95 = percentile(base, 50) * 1000, percentile(base, 95) * 1000
    print(f"baseline, HandleMessage alone: p50 {base_p50:.1f} ms, p95 {base_p95:.1f} ms")
    print(
        figures(
            telegram_round_trips_per_s=rate,
            round_trip_p50_ms=p50,
            round_trip_p95_ms=p95,
            paced_p50_ms=paced_p50,
            paced_p95_ms=paced_p95,
            gateway_only_p95_ms=base_p95,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
