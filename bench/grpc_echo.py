"""The ceiling: a raw grpc.aio unary echo over mTLS, client and server in separate processes.

64 calls in flight for 10 s, then 1 in flight. Every later benchmark divides by these figures.
Last line: ``calls_per_s=… p50_ms=… p99_ms=… single_p50_ms=…``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from agent_runtime.echo.v1 import echo_pb2
from bench._common import closed_loop, echo_server, echo_stub, figures, parse_args
from svckit import loop
from svckit.pki import PkiPaths
from svckit.testing import make_pki

KEYS = ("calls_per_s", "p50_ms", "p99_ms", "single_p50_ms")
PAYLOAD = b"x" * 64


async def measure(pki: PkiPaths, port: int, seconds: float, single_seconds: float) -> str:
    channel, stub = echo_stub(pki, port)
    request = echo_pb2.EchoRequest(payload=PAYLOAD)

    async def call() -> None:
        await stub.Echo(request, timeout=10)

    async with channel:
        await closed_loop(call, 64, min(1.0, seconds))  # warm up: TLS handshake, JIT-free caches
        loaded = await closed_loop(call, 64, seconds)
        print(
            f"64 in flight: {loaded.calls} calls in {loaded.seconds:.1f}s, "
            f"p50 {loaded.percentile_ms(50):.2f} ms, p99 {loaded.percentile_ms(99):.2f} ms"
        )
        single = await closed_loop(call, 1, single_seconds)
        print(
            f"1 in flight: {single.calls} calls in {single.seconds:.1f}s, "
            f"p50 {single.percentile_ms(50):.3f} ms"
        )
    return figures(
        calls_per_s=loaded.per_second,
        p50_ms=loaded.percentile_ms(50),
        p99_ms=loaded.percentile_ms(99),
        single_p50_ms=single.percentile_ms(50),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grpc_echo", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="64-in-flight phase")
    parser.add_argument("--single-seconds", type=float, default=5.0, help="1-in-flight phase")
    args = parse_args(parser, argv, smoke={"seconds": 0.3, "single_seconds": 0.2})
    with tempfile.TemporaryDirectory(prefix="bench-echo-") as tmp:
        pki = make_pki(Path(tmp) / "pki")
        with echo_server(pki) as port:
            line = loop.run(measure(pki, port, args.seconds, args.single_seconds))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
