"""Helpers every benchmark can reuse: the command line (with ``--smoke``), the mTLS echo
server in its own process, a closed-loop load generator, latency statistics and the
`key=value` result line.

A benchmark is a module ``bench/<name>.py`` (no leading underscore) with a
``main(argv) -> int``, a ``KEYS`` tuple naming the keys of its last line, and a parser read
through `parse_args`, so ``python -m bench.<name> --smoke`` runs it small enough to take
seconds; tests/bench/test_smoke.py runs every one that way. Modules whose name starts with
``_`` are helpers, not benchmarks.

``python -m bench._common echo-server --pki DIR`` runs the echo server (prints ``port=N``);
with no arguments this module does nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import grpc

from agent_runtime.echo.v1 import echo_pb2, echo_pb2_grpc
from svckit import loop
from svckit.pki import CertPair, PkiPaths

if TYPE_CHECKING:
    from agent_runtime.echo.v1.echo_pb2_grpc import EchoServiceAsyncStub

ECHO_METHOD = "/agent_runtime.echo.v1.EchoService/Echo"
_OPTIONS = [("grpc.so_reuseport", 0)]


# --- the command line ------------------------------------------------------------------------


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str], smoke: Mapping[str, object]
) -> argparse.Namespace:
    """`parser.parse_args(argv)` plus ``--smoke``: a run of a few seconds that proves the
    benchmark works end to end (its figures mean nothing). With it, `smoke` replaces the
    parser's defaults; options given on the command line still win."""
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="run small (seconds): checks that the benchmark works, its figures mean nothing",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args


# --- the server side ------------------------------------------------------------------------


class Echo(echo_pb2_grpc.EchoServiceServicer):
    """Answers every Echo with its payload: the cheapest RPC there is."""

    async def Echo(
        self,
        request: echo_pb2.EchoRequest,
        context: grpc.aio.ServicerContext[echo_pb2.EchoRequest, echo_pb2.EchoResponse],
    ) -> echo_pb2.EchoResponse:
        return echo_pb2.EchoResponse(payload=request.payload)


def server_credentials(pki: PkiPaths, pair: CertPair) -> grpc.ServerCredentials:
    cert, key = pair.read()
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=pki.ca_cert.read_bytes(), require_client_auth=True
    )


def channel_credentials(pki: PkiPaths, pair: CertPair) -> grpc.ChannelCredentials:
    cert, key = pair.read()
    return grpc.ssl_channel_credentials(
        root_certificates=pki.ca_cert.read_bytes(), private_key=key, certificate_chain=cert
    )


async def serve_until_signal(
    start: Callable[[], Awaitable[int]], stop: Callable[[], Awaitable[None]]
) -> None:
    """A benchmark's server process: start, print `port=N` for the parent that reads it,
    then stop on SIGTERM or SIGINT."""
    port = await start()
    print(f"port={port}", flush=True)
    done = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        running.add_signal_handler(sig, done.set)
    await done.wait()
    await stop()


async def _serve_echo(pki: PkiPaths) -> None:
    server = grpc.aio.server(options=_OPTIONS)
    echo_pb2_grpc.add_EchoServiceServicer_to_server(Echo(), server)
    port = server.add_secure_port("127.0.0.1:0", server_credentials(pki, pki.service("store")))

    async def start() -> int:
        await server.start()
        return port

    await serve_until_signal(start, lambda: server.stop(0.5))


@contextlib.contextmanager
def echo_server(pki: PkiPaths) -> Iterator[int]:
    """Run the raw grpc.aio mTLS echo server in a separate process; yield its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._common", "echo-server", "--pki", str(pki.root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield read_port(proc, "echo server")
    finally:
        stop_process(proc)


def read_port(proc: subprocess.Popen[str], what: str) -> int:
    """The port a server child printed (`port=N`, see `serve_until_signal`); blocks until the
    server is bound, or it died."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("port="):
        raise RuntimeError(f"{what} failed to start (exit {proc.wait()})")
    return int(line.removeprefix("port="))


def stop_process(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, and SIGKILL when it has not exited 10 s later."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def echo_stub(pki: PkiPaths, port: int) -> tuple[grpc.aio.Channel, EchoServiceAsyncStub]:
    """An mTLS channel to the echo server as the gateway (call inside a running loop)."""
    creds = channel_credentials(pki, pki.service("gateway"))
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", creds, options=_OPTIONS)
    return channel, echo_pb2_grpc.EchoServiceStub(channel)


# --- the client side ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    """What a closed-loop run measured: how many calls, over how long, each call's latency."""

    calls: int
    seconds: float
    latencies_s: list[float]

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000.0


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted samples; 0 when there are none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def closed_loop(
    call: Callable[[], Awaitable[object]], in_flight: int, seconds: float
) -> LoadResult:
    """Keep `in_flight` calls outstanding for `seconds`; each worker starts its next call as
    soon as the previous one returns."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker() -> None:
        clock = time.perf_counter
        while (start := clock()) < end:
            await call()
            latencies.append(clock() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return LoadResult(len(latencies), time.perf_counter() - started, latencies)


def figures(**values: float) -> str:
    """The last line of every benchmark: `key=value` pairs separated by spaces."""
    parts = []
    for key, value in values.items():
        text = f"{value:.0f}" if key.endswith("_per_s") else f"{value:.3f}"
        parts.append(f"{key}={text}")
    return " ".join(parts)


def main(argv: list[str]) -> int:
    if not argv:
        print("bench._common holds shared helpers; run a benchmark such as bench.grpc_echo")
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench._common")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("echo-server", help="serve EchoService over mTLS on a free port")
    serve.add_argument("--pki", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    loop.run(_serve_echo(PkiPaths(args.pki)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
