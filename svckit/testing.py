"""Helpers for tests: a throwaway PKI, free ports, a service served on port 0."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc
from cryptography import x509
from grpc_health.v1 import health_pb2

from svckit.authz import Identity
from svckit.channels import open_channel
from svckit.healthcheck import PROBE_OPTIONS, health_stub
from svckit.pki import CertPair, PkiPaths, init_pki, issue_admin
from svckit.serve import Ports, Service


def make_pki(root: Path) -> PkiPaths:
    """A fresh CA with every service certificate and the admin `admin`."""
    return init_pki(root)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cert_for(pki: PkiPaths, identity: str) -> CertPair:
    """The certificate of `svc:<name>` or `admin:<name>` (admins are issued on demand)."""
    who = Identity.parse(identity)
    if who.kind == "admin":
        return issue_admin(pki.root, who.name)
    return pki.service(who.name)


def client_channel(
    pki: PkiPaths, port: int, identity: str = "admin:admin", **kw: object
) -> grpc.aio.Channel:
    return open_channel(f"127.0.0.1:{port}", pki, cert_for(pki, identity), **kw)  # type: ignore[arg-type]


def serial_of(pair: CertPair) -> int:
    """The serial number of the certificate in `pair`'s file now."""
    return x509.load_pem_x509_certificate(pair.cert.read_bytes()).serial_number


async def presented_serial(pki: PkiPaths, port: int, alpn: str = "h2") -> int:
    """The serial number of the certificate a TLS server on `port` presents to a new
    connection (as admin `admin`, trusting `pki`'s CA). `alpn`: "h2" for gRPC ports."""
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    admin = pki.admin("admin")
    ctx.load_cert_chain(str(admin.cert), str(admin.key))
    ctx.set_alpn_protocols([alpn])
    _, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with suppress(OSError):  # the server may refuse our certificate after the handshake
            await writer.wait_closed()
    return x509.load_der_x509_certificate(der).serial_number


@asynccontextmanager
async def serving(service: Service) -> AsyncIterator[Ports]:
    """Start on whatever ports the settings say (use 0 in tests), stop afterwards."""
    ports = await service.start()
    try:
        yield ports
    finally:
        await service.stop(grace=1.0)


async def status_of(
    pki: PkiPaths, port: int, identity: str, stub_cls: type, rpc: str, request: object = None
) -> grpc.StatusCode:
    """The status `identity` gets from one call (OK when it succeeds). `request` defaults to
    the empty `<rpc>Request`; a server stream is drained."""
    async with client_channel(pki, port, identity) as channel:
        method = getattr(stub_cls(channel), rpc)
        if request is None:
            module = importlib.import_module(stub_cls.__module__.removesuffix("_grpc"))
            request = getattr(module, f"{rpc}Request")()
        try:
            call = method(request, timeout=5)
            if hasattr(call, "__aiter__"):
                async for _ in call:
                    pass
            else:
                await call
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def health_of(pki: PkiPaths, port: int, services: list[str]) -> dict[str, str]:
    """Health status name of each service (use "" for the server as a whole)."""
    async with client_channel(pki, port, "admin:admin") as channel:
        stub = health_stub(channel)
        out = {}
        for name in services:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            out[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return out


@dataclass(frozen=True)
class ServiceProcess:
    """A service run as `python -m <module>` by `service_process`."""

    proc: subprocess.Popen[bytes]
    grpc: int
    health: int


@contextmanager
def service_process(
    module: str,
    pki: PkiPaths,
    data_dir: Path,
    env: dict[str, str] | None = None,
    *,
    deadline: float = 60.0,
) -> Iterator[ServiceProcess]:
    """Run a service in its own process on free ports until it reports SERVING; stop it with
    SIGTERM afterwards. It dies with this process even if this one is killed (PDEATHSIG)."""
    grpc_port, health_port = free_port(), free_port()
    full_env = {
        **os.environ,
        "AGENT_RUNTIME_DATA_DIR": str(data_dir),
        "AGENT_RUNTIME_PKI_DIR": str(pki.root),
        "AGENT_RUNTIME_GRPC_PORT": str(grpc_port),
        "AGENT_RUNTIME_HEALTH_PORT": str(health_port),
        "AGENT_RUNTIME_METRICS_PORT": "0",
        "AGENT_RUNTIME_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    argv = [sys.executable, "-m", "svckit.launch", str(os.getpid()), sys.executable, "-m", module]
    # stderr to a file, not a pipe: a chatty child never blocks on it
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=full_env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_serving(proc, health_port, deadline, module, log)
            yield ServiceProcess(proc, grpc_port, health_port)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_serving(
    proc: subprocess.Popen[bytes], port: int, deadline: float, what: str, log: IO[bytes]
) -> None:
    end = time.monotonic() + deadline
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=PROBE_OPTIONS) as channel:
        stub = health_stub(channel)
        while time.monotonic() < end:
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"{what} exited with {proc.returncode}: {err[-2000:]}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.05)  # not listening yet
    raise RuntimeError(f"{what} did not report SERVING within {deadline:.0f}s")


async def eventually(
    check: Callable[[], Any], what: str = "a condition", deadline: float = 15.0, every: float = 0.02
) -> Any:
    """Call `check()` (plain or async) until it returns something truthy, and return that;
    fail naming `what` once `deadline` seconds have passed. Tests poll; they never sleep."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:g}s waiting for {what}")
        await asyncio.sleep(every)


def poll(check: Callable[[], Any], what: str, deadline: float = 15.0, every: float = 0.1) -> Any:
    """`eventually` for synchronous tests (subprocesses, files): call `check()` until it returns
    something truthy, and return that; fail naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:g}s waiting for {what}")
        time.sleep(every)
