"""Helpers for tests: a throwaway PKI, free ports, a service served on port 0."""

from __future__ import annotations

import importlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from svckit.authz import Identity
from svckit.channels import open_channel
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
        stub = health_pb2_grpc.HealthStub(channel)
        out = {}
        for name in services:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            out[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return out
