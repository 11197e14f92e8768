"""gRPC keepalive over mTLS, end to end: a real server and client (svckit.serve, svckit.channels)
with a TCP proxy between them that can turn into a black hole (tests/blackhole.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.testing.v1 import testing_pb2 as pb
from agent_runtime.testing.v1 import testing_pb2_grpc as pb_grpc
from svckit import testing
from svckit.authz import AllowList
from svckit.config import ServiceSettings
from svckit.keepalive import Keepalive
from svckit.pki import PkiPaths
from svckit.serve import Service, ServiceDef
from tests.blackhole import BlackholeProxy

SERVICE = "agent_runtime.testing.v1.TranscodeTestService"
# Short enough for a test: ping after 1 s of quiet, give up 1 s later.
SHORT = {"grpc_keepalive_time_seconds": 1.0, "grpc_keepalive_timeout_seconds": 1.0}


@pytest.fixture
def pki(tmp_path: Path) -> PkiPaths:
    return testing.make_pki(tmp_path / "pki")


class QuietWatch(pb_grpc.TranscodeTestServiceServicer):
    """WatchItems sends one event, then nothing until the call ends (a quiet watch)."""

    async def WatchItems(
        self, request: pb.WatchItemsRequest, context: Any
    ) -> AsyncIterator[pb.WatchItemsResponse]:
        yield pb.WatchItemsResponse(seq=1)
        await asyncio.Event().wait()


@pytest.fixture
async def proxy(pki: PkiPaths) -> AsyncIterator[BlackholeProxy]:
    """A server with short keepalive settings and a quiet watch, behind a proxy."""
    settings = ServiceSettings(
        pki_dir=pki.root, grpc_port=0, health_port=0, metrics_port=0, **SHORT
    )
    add = pb_grpc.add_TranscodeTestServiceServicer_to_server
    service = Service(
        "store",
        settings,
        [ServiceDef(add, QuietWatch(), SERVICE)],
        allow=AllowList({"WatchItems": ["admin:*"]}),
    )
    async with testing.serving(service) as ports:
        async with BlackholeProxy(ports.grpc).running() as proxy:
            yield proxy


def _watch(channel: grpc.aio.Channel, timeout: float | None = None) -> Any:
    return pb_grpc.TranscodeTestServiceStub(channel).WatchItems(
        pb.WatchItemsRequest(), timeout=timeout
    )


async def test_a_stream_to_a_peer_gone_silent_fails_unavailable(
    pki: PkiPaths, proxy: BlackholeProxy
) -> None:
    short = ServiceSettings(**SHORT).keepalive  # type: ignore[arg-type]
    async with testing.client_channel(pki, proxy.port, keepalive=short) as channel:
        call = _watch(channel)  # no deadline, like the task watches
        assert (await call.read()).seq == 1
        proxy.cut()
        # The stream would otherwise wait forever; the outer wait is only the test's guard.
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await asyncio.wait_for(call.read(), 30)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert proxy.dropped["up"] > 0  # the client's pings went into the hole


async def test_a_quiet_stream_with_frequent_pings_stays_open(
    pki: PkiPaths, proxy: BlackholeProxy
) -> None:
    short = ServiceSettings(**SHORT).keepalive  # type: ignore[arg-type]
    async with testing.client_channel(pki, proxy.port, keepalive=short) as channel:
        call = _watch(channel, timeout=10)  # ~10 pings each way while nothing else is sent
        assert (await call.read()).seq == 1
        sent_before = proxy.passed["up"]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call.read()
    # The stream lived to its deadline: the server did not answer the pings with GOAWAY
    # ENHANCE_YOUR_CALM "too_many_pings" (that would end it as UNAVAILABLE).
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, info.value.details()
    assert proxy.passed["up"] > sent_before  # and pings did go out while it was quiet


def test_keepalive_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_GRPC_KEEPALIVE_TIME_SECONDS", "20")
    monkeypatch.setenv("AGENT_RUNTIME_GRPC_KEEPALIVE_TIMEOUT_SECONDS", "4")
    monkeypatch.setenv("AGENT_RUNTIME_GRPC_KEEPALIVE_MIN_PING_INTERVAL_SECONDS", "15")
    assert ServiceSettings().keepalive == Keepalive(20.0, 4.0, 15.0)
    server = dict(ServiceSettings().keepalive.server_options())
    # a server accepts pings at least twice as often as its own clients send them
    assert server["grpc.http2.min_ping_interval_without_data_ms"] == 10_000
    assert Keepalive() == Keepalive(30.0, 10.0, 5.0)
