"""Renewed certificates without a restart at the REST edge: the HTTPS listener's own, and the
gateway's client certificate on its backend channels."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_svc.rest import build_app
from gateway_svc.rest.server import RestServer
from svckit import testing
from svckit.certfiles import CertWatch
from svckit.pki import PkiPaths, reissue_service
from svckit.rotating import RotatingChannel
from tests.unit.gateway_svc.rest.backend import SERVICE, Endless, backend_service, events
from tests.unit.gateway_svc.rest.stack import TESTING, TOKEN, settings_for


async def ok(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def own_pki(tmp_path: Path) -> PkiPaths:
    """Not the session's PKI: these tests renew its certificates."""
    return testing.make_pki(tmp_path / "pki")


@pytest.fixture
async def server(own_pki: PkiPaths) -> AsyncIterator[RestServer]:
    pki = own_pki
    rest = RestServer(
        ok, host="127.0.0.1", port=0, cert=pki.rest, ca_cert=pki.ca_cert, reload_interval=0.02
    )
    await rest.start()
    try:
        yield rest
    finally:
        await rest.stop()


async def _get(pki: PkiPaths, port: int) -> str:
    tls = ssl.create_default_context(cafile=str(pki.ca_cert))
    async with httpx.AsyncClient(verify=tls) as client:
        return (await client.get(f"https://localhost:{port}/")).text


async def test_new_connections_get_the_renewed_certificate(
    own_pki: PkiPaths, server: RestServer
) -> None:
    old = testing.serial_of(own_pki.rest)
    assert await testing.presented_serial(own_pki, server.port, "http/1.1") == old
    new = testing.serial_of(reissue_service(own_pki.root, "rest"))

    async def presents_new() -> bool:
        return await testing.presented_serial(own_pki, server.port, "http/1.1") == new

    await testing.eventually(presents_new, "the renewed REST certificate")
    assert await _get(own_pki, server.port) == "ok"


async def test_a_mismatched_key_is_ignored_and_the_old_certificate_kept(
    own_pki: PkiPaths, server: RestServer, tmp_path: Path
) -> None:
    old = testing.serial_of(own_pki.rest)
    stray = testing.make_pki(tmp_path / "stray")
    own_pki.rest.key.write_bytes(stray.rest.key.read_bytes())
    server.reload()  # what the periodic round does, now
    assert await testing.presented_serial(own_pki, server.port, "http/1.1") == old
    assert await _get(own_pki, server.port) == "ok"


async def test_a_watch_on_a_retired_backend_channel_ends_with_an_error_event(
    own_pki: PkiPaths,
) -> None:
    pki = own_pki
    backend = backend_service(settings_for(pki), Endless())
    async with testing.serving(backend) as ports:
        watch = CertWatch(pki.ca_cert, pki.service("gateway"))
        channel = RotatingChannel(f"127.0.0.1:{ports.grpc}", watch, reload_interval=0.02, grace=0.2)
        app = build_app([TESTING], {SERVICE: channel}, token=TOKEN, probe={"testing": channel})
        rest = RestServer(app, host="127.0.0.1", port=0, cert=pki.rest, ca_cert=pki.ca_cert)
        await rest.start()
        tls = ssl.create_default_context(cafile=str(pki.ca_cert))
        headers = {"authorization": f"Bearer {TOKEN}", "accept": "application/x-ndjson"}
        base = f"https://localhost:{rest.port}"
        try:
            async with httpx.AsyncClient(base_url=base, verify=tls, headers=headers) as client:
                async with client.stream("GET", "/api/v1/testing/items:watch") as watching:
                    lines = watching.aiter_lines()
                    assert json.loads(await anext(lines))["seq"] == 1
                    reissue_service(pki.root, "gateway")

                    async def swapped() -> bool:  # any call notices the renewal; /readyz does
                        return (await client.get("/readyz")).status_code == 200 and (
                            watch.current.cert == pki.service("gateway").cert.read_bytes()
                        )

                    await testing.eventually(swapped, "the backend channel to renew")
                    # the old channel closes after its grace: the watch must end, not hang
                    rest_of_stream = await asyncio.wait_for(events(lines), 10)
            assert [e["error"]["code"] for e in rest_of_stream] == ["UNAVAILABLE"]
        finally:
            await rest.stop()
            await channel.close()
