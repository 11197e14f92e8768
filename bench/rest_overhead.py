"""REST /api/v1 overhead: the same read RPC called over REST (HTTPS -> gateway -> gRPC) and
straight over gRPC, in the same run, at 1 and 64 calls in flight.

The backend is the real store (GetWorkspace, `GET /api/v1/workspaces/{id}`) when it starts;
otherwise the transcoder's testing backend (GetItem) — the run says which. Backend, REST
gateway and load generator are three processes, each on the loop every process of the project
runs on (svckit.loop: uvloop). The REST client is a minimal keep-alive HTTP/1.1 client (one TLS
connection per worker; its TLS is uvloop's, in C, as the gRPC client's is grpc's), so the
figures are the server's cost, not a client library's. Targets: REST p50 <= 1.3 x gRPC p50 at
64 in flight, and the REST edge adds at most 0.5 ms p50 at 1 in flight.
Last line: `rest_p50_ms=… grpc_p50_ms=… ratio=… rest_rps=… grpc_rps=…` (1 in flight), then the
same keys prefixed `c64_` (64 in flight), then `edge_ms=…`: rest_p50_ms - grpc_p50_ms at 1 in
flight, what the REST edge adds to a call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from bench._common import (
    LoadResult,
    closed_loop,
    parse_args,
    read_port,
    serve_until_signal,
    stop_process,
)
from svckit import loop
from svckit.pki import PkiPaths
from svckit.testing import make_pki, service_process

_ONE = ("rest_p50_ms", "grpc_p50_ms", "ratio", "rest_rps", "grpc_rps")
KEYS = (*_ONE, *(f"c64_{k}" for k in _ONE), "edge_ms")
TOKEN = "bench-token"


# --- processes ------------------------------------------------------------------------------


def _spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {**os.environ, "GRPC_VERBOSITY": "ERROR", **(env or {})}
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=full_env,
    )


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    proc = _spawn(args, env)
    try:
        yield proc
    finally:
        stop_process(proc)


def serve_testing_backend(pki: PkiPaths) -> None:
    from svckit.config import ServiceSettings
    from tests.unit.gateway_svc.rest.backend import backend_service

    async def main() -> None:
        settings = ServiceSettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
        service = backend_service(settings)
        await serve_until_signal(lambda: _ports(service), lambda: service.stop(grace=0.5))

    asyncio.run(main())


async def _ports(service: object) -> int:
    ports = await service.start()  # type: ignore[attr-defined]
    return int(ports.grpc)


def serve_rest(pki: PkiPaths, kind: str, backend: str) -> None:
    from gateway_svc import rest
    from gateway_svc.config import GatewaySettings
    from gateway_svc.rest import mount

    async def main() -> None:
        settings = GatewaySettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0)
        services = mount.discover(exclude=() if kind == "testing" else ("agent_runtime.testing.",))
        services = [s for s in services if mount.backend_key(s) == kind]
        server = rest.serve(
            settings, services=services, port=0, token=TOKEN, addresses={kind: backend}
        )
        await serve_until_signal(server.start, server.stop)

    loop.run(main())  # the gateway's own loop


# --- clients --------------------------------------------------------------------------------


class HttpPool:
    """Keep-alive HTTP/1.1 GETs over TLS, one connection per concurrent caller."""

    def __init__(self, port: int, ca: Path, path: str) -> None:
        self._port = port
        self._ctx = ssl.create_default_context(cafile=str(ca))
        self._request = (
            f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {TOKEN}\r\n\r\n"
        ).encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._all: list[asyncio.StreamWriter] = []

    async def get(self) -> bytes:
        if self._idle:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", self._port, ssl=self._ctx, server_hostname="localhost"
            )
            self._all.append(writer)
        writer.write(self._request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length)
        self._idle.append((reader, writer))
        return body

    async def close(self) -> None:
        for writer in self._all:
            writer.close()


async def _grpc_target(
    pki: PkiPaths, kind: str, port: int
) -> tuple[object, Callable[[], Awaitable[object]], str]:
    """The channel, the direct gRPC call, and the REST path of the same read."""
    import grpc

    from svckit.tls import channel_credentials

    # A plain channel (no client interceptors): the leanest gRPC client is the fair baseline.
    creds = channel_credentials(pki, pki.service("gateway"))
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", creds)
    if kind == "store":
        from agent_runtime.store.v1 import workspace_service_pb2 as ws
        from agent_runtime.store.v1 import workspace_service_pb2_grpc as ws_grpc

        stub = ws_grpc.WorkspaceServiceStub(channel)
        ctx = await stub.EnsureContext(
            ws.EnsureContextRequest(connector="codex", external_id="bench", display_name="bench"),
            timeout=10,
        )
        wid = ctx.context.workspace_id
        request = ws.GetWorkspaceRequest(id=wid)
        return channel, lambda: stub.GetWorkspace(request, timeout=10), f"/api/v1/workspaces/{wid}"
    from agent_runtime.testing.v1 import testing_pb2 as pb
    from agent_runtime.testing.v1 import testing_pb2_grpc as pb_grpc

    tstub = pb_grpc.TranscodeTestServiceStub(channel)
    treq = pb.GetItemRequest(id="bench")
    return channel, lambda: tstub.GetItem(treq, timeout=10), "/api/v1/testing/items/bench"


async def interleaved(
    grpc_call: Callable[[], Awaitable[object]],
    rest_call: Callable[[], Awaitable[object]],
    in_flight: int,
    seconds: float,
    rounds: int = 10,
) -> tuple[LoadResult, LoadResult]:
    """Alternate short gRPC and REST phases, so load from elsewhere on a shared machine
    lands on both sides alike; the phases' samples are pooled."""
    pooled: list[list[LoadResult]] = [[], []]
    for _ in range(rounds):
        for i, call in enumerate((grpc_call, rest_call)):
            pooled[i].append(await closed_loop(call, in_flight, seconds / rounds))
    g, r = (
        LoadResult(
            sum(x.calls for x in runs),
            sum(x.seconds for x in runs),
            [lat for x in runs for lat in x.latencies_s],
        )
        for runs in pooled
    )
    return g, r


def _line(prefix: str, rest: LoadResult, grpc_: LoadResult) -> dict[str, float]:
    r50, g50 = rest.percentile_ms(50), grpc_.percentile_ms(50)
    return {
        f"{prefix}rest_p50_ms": r50,
        f"{prefix}grpc_p50_ms": g50,
        f"{prefix}ratio": r50 / g50 if g50 else 0.0,
        f"{prefix}rest_rps": rest.per_second,
        f"{prefix}grpc_rps": grpc_.per_second,
    }


async def measure(
    pki: PkiPaths, kind: str, backend_port: int, rest_port: int, seconds: float
) -> str:
    channel, grpc_call, path = await _grpc_target(pki, kind, backend_port)
    pool = HttpPool(rest_port, pki.ca_cert, path)
    body = await pool.get()
    print(f"backend={kind} path={path} response={body[:120].decode(errors='replace')}…")
    values: dict[str, float] = {}
    try:
        for in_flight, prefix in ((1, ""), (64, "c64_")):
            await closed_loop(grpc_call, in_flight, min(1.0, seconds))  # warm up
            await closed_loop(pool.get, in_flight, min(1.0, seconds))
            g, r = await interleaved(grpc_call, pool.get, in_flight, seconds)
            figs = _line(prefix, r, g)
            values.update(figs)
            print(
                f"{in_flight} in flight: REST p50 {r.percentile_ms(50):.3f} ms "
                f"p99 {r.percentile_ms(99):.3f} ms {r.per_second:.0f}/s | gRPC p50 "
                f"{g.percentile_ms(50):.3f} ms p99 {g.percentile_ms(99):.3f} ms "
                f"{g.per_second:.0f}/s | ratio {figs[prefix + 'ratio']:.2f}"
            )
    finally:
        await pool.close()
        await channel.close()  # type: ignore[attr-defined]
    values["edge_ms"] = values["rest_p50_ms"] - values["grpc_p50_ms"]
    return " ".join(
        f"{k}={v:.0f}" if k.endswith("_rps") else f"{k}={v:.3f}" for k, v in values.items()
    )


@contextlib.contextmanager
def backend(pki: PkiPaths, data: Path, force_testing: bool) -> Iterator[tuple[str, int]]:
    with contextlib.ExitStack() as stack:
        if not force_testing:
            try:
                store = stack.enter_context(service_process("store_svc", pki, data))
            except RuntimeError as exc:
                print(f"the store did not start ({exc}); measuring the testing backend instead")
            else:
                yield "store", store.grpc
                return
        args = ["-m", "bench.rest_overhead", "serve-testing", "--pki", str(pki.root)]
        yield "testing", read_port(stack.enter_context(running(args)), "child")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rest_overhead", description=__doc__)
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "serve-testing", "serve-rest"]
    )
    parser.add_argument("--pki", type=Path)
    parser.add_argument("--kind", default="testing")
    parser.add_argument("--backend", default="")
    parser.add_argument("--seconds", type=float, default=5.0, help="each measured phase")
    parser.add_argument("--testing-backend", action="store_true", help="skip the store")
    args = parse_args(parser, argv, smoke={"seconds": 0.3})
    if args.command == "serve-testing":
        serve_testing_backend(PkiPaths(args.pki))
        return 0
    if args.command == "serve-rest":
        serve_rest(PkiPaths(args.pki), args.kind, args.backend)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-rest-") as tmp:
        pki = make_pki(Path(tmp) / "pki")
        with backend(pki, Path(tmp) / "data", args.testing_backend) as (kind, port):
            rest_args = [
                "-m",
                "bench.rest_overhead",
                "serve-rest",
                "--pki",
                str(pki.root),
                "--kind",
                kind,
                "--backend",
                f"127.0.0.1:{port}",
            ]
            with running(rest_args) as rest_proc:
                rest_port = read_port(rest_proc, "child")
                line = loop.run(measure(pki, kind, port, rest_port, args.seconds))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
