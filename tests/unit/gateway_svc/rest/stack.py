"""A real stack for REST tests: the testing backend over mTLS and the REST listener over HTTPS."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from agent_runtime.testing.v1 import testing_pb2
from gateway_svc import rest
from gateway_svc.config import GatewaySettings
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.backend import backend_service

TOKEN = "s3cret-token"
TESTING = testing_pb2.DESCRIPTOR.services_by_name["TranscodeTestService"]


@dataclass
class Stack:
    pki: PkiPaths
    base_url: str
    grpc_port: int

    def client(self, *, token: str | None = TOKEN, cert: bool = False) -> httpx.AsyncClient:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        if cert:
            pair = self.pki.admin("admin")
            ctx.load_cert_chain(str(pair.cert), str(pair.key))
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, verify=ctx, headers=headers)


def settings_for(pki: PkiPaths, **kw: Any) -> GatewaySettings:
    return GatewaySettings(pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, **kw)


@asynccontextmanager
async def running_stack(
    pki: PkiPaths, *, backend: bool = True, **settings: Any
) -> AsyncIterator[Stack]:
    """Backend (optional: without it every call is UNAVAILABLE) plus REST on port 0;
    `settings` are GatewaySettings fields of the REST side."""
    service = backend_service(settings_for(pki)) if backend else None
    port = (await service.start()).grpc if service else testing.free_port()
    try:
        async with serving_rest(pki, port, **settings) as rest_port:
            yield Stack(pki, f"https://127.0.0.1:{rest_port}", port)
    finally:
        if service:
            await service.stop(grace=0.5)


@asynccontextmanager
async def serving_rest(pki: PkiPaths, backend_port: int, **settings: Any) -> AsyncIterator[int]:
    """The REST listener alone on port 0 (yielded), relaying the testing service to
    `backend_port`; `settings` are GatewaySettings fields."""
    server = rest.serve(
        settings_for(pki, **settings),
        services=[TESTING],
        port=0,
        token=TOKEN,
        addresses={"testing": f"127.0.0.1:{backend_port}"},
    )
    port = await server.start()
    try:
        yield port
    finally:
        await server.stop()
