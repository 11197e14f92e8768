"""connectors killed (SIGKILL) while a notice is with the platform: the delivery ends
`unknown` (surfaced, never re-sent), and the next connectors process goes on delivering the
rest. Real processes: store_svc and two connectors_svc one after the other, the codex
webhook adapter posting to a fake receiver that holds the request in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.webhooks import FakeWebhook


def _call(pki: PkiPaths, port: int, method: str, request: object) -> object:
    async def go() -> object:
        async with testing.client_channel(pki, port, "svc:gateway") as ch:
            return await getattr(DeliveryServiceStub(ch), method)(request, timeout=10)

    return asyncio.run(go())


def _status(pki: PkiPaths, port: int, key: str) -> drpc.Delivery:
    reply = _call(pki, port, "GetDelivery", drpc.GetDeliveryRequest(idempotency_key=key))
    assert isinstance(reply, drpc.GetDeliveryResponse)
    return reply.delivery


def _notice(pki: PkiPaths, port: int, key: str, text: str) -> None:
    request = drpc.CreateDeliveryRequest(
        idempotency_key=key, connector="codex", chat_id="session-1", text=text
    )
    _call(pki, port, "CreateDelivery", request)


@contextmanager
def _connectors(
    pki: PkiPaths, data: Path, store: int, url: str
) -> Iterator[testing.ServiceProcess]:
    env = {
        "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store}",
        "AGENT_RUNTIME_GATEWAY_ADDR": f"127.0.0.1:{testing.free_port()}",
        "AGENT_RUNTIME_CODEX_PUBLISH_URL": url,
        "AGENT_RUNTIME_DELIVERY_LEASE_SECONDS": "2",
        "AGENT_RUNTIME_DELIVERY_POLL_WAIT_SECONDS": "1",
    }
    with testing.service_process("connectors_svc", pki, data, env) as proc:
        yield proc


def test_killed_mid_send_is_unknown_and_never_sent_twice(pki: PkiPaths, tmp_path: Path) -> None:
    fake = FakeWebhook(hold=True).start()
    try:
        with testing.service_process("store_svc", pki, tmp_path / "store") as store:
            with _connectors(pki, tmp_path / "a", store.grpc, fake.url) as first:
                _notice(pki, store.grpc, "task:t1:succeeded", "Task done")
                testing.poll(fake.held.is_set, "the notice to be in flight")
                assert _status(pki, store.grpc, "task:t1:succeeded").status == "sending"
                first.proc.kill()
                first.proc.wait(10)
            fake.release()
            with _connectors(pki, tmp_path / "b", store.grpc, fake.url):
                _notice(pki, store.grpc, "task:t2:succeeded", "Next task done")
                testing.poll(lambda: "Next task done" in fake.texts(), "the next notice")
                crashed = testing.poll(
                    lambda: (
                        (d := _status(pki, store.grpc, "task:t1:succeeded")).status == "unknown"
                        and d
                    ),
                    "the interrupted delivery to be marked unknown",
                )
                listed = _call(pki, store.grpc, "ListDeliveries",
                               drpc.ListDeliveriesRequest(status="unknown"))  # fmt: skip
    finally:
        fake.stop()
    assert [p.key for p in fake.posts] == ["task:t1:succeeded", "task:t2:succeeded"]
    assert "may or may not" in crashed.last_error
    assert isinstance(listed, drpc.ListDeliveriesResponse)
    assert [d.idempotency_key for d in listed.items] == ["task:t1:succeeded"]
