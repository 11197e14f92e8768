"""Helpers for tests: a throwaway PKI, free ports, a service served on port 0."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc

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
