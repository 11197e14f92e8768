"""Publish and the drain loop against a real store and the codex webhook adapter posting to
a fake receiver: what the receiver gets is what a user would see."""

from __future__ import annotations

import grpc
import pytest

from agent_runtime.connectors.v1.service_pb2 import GetConnectorStatusRequest
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from connectors_svc.adapters.webhook import WebhookConfig
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.connectors_svc.kit import connectors, webhook
from tests.webhooks import FakeWebhook


async def _ledger(pki: PkiPaths, port: int, key: str) -> drpc.GetDeliveryResponse:
    async with testing.client_channel(pki, port, "admin:admin") as ch:
        reply: drpc.GetDeliveryResponse = await DeliveryServiceStub(ch).GetDelivery(
            drpc.GetDeliveryRequest(idempotency_key=key), timeout=10
        )
        return reply


async def test_the_same_key_twice_posts_once(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    async with connectors(pki, store_port, [webhook("codex", fake)]) as c:
        first = await c.publish(
            connector="codex", external_id="s1", text="hi", idempotency_key="k1"
        )
        again = await c.publish(
            connector="codex", external_id="s1", text="hi", idempotency_key="k1"
        )
    assert (first.status, first.duplicate) == ("sent", False)
    assert (again.status, again.duplicate, again.delivery_id) == ("sent", True, first.delivery_id)
    assert [(p.key, p.body) for p in fake.posts] == [
        ("k1", {"connector": "codex", "external_id": "s1", "text": "hi"})
    ]


async def test_bad_publishes_are_refused_and_record_nothing(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    cases = [
        ({"connector": "codex", "external_id": "s", "text": "hi"}, "idempotency_key"),
        ({"connector": "codex", "external_id": "s", "idempotency_key": "k"}, "text"),
        ({"connector": "fax", "external_id": "s", "text": "hi", "idempotency_key": "k"}, "fax"),
    ]
    async with connectors(pki, store_port, [webhook("codex", fake)],
                          disabled={"telegram": "token missing"}) as c:  # fmt: skip
        for fields, word in cases:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await c.publish(**fields)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert word in (err.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as off:
            await c.publish(connector="telegram", external_id="1", text="hi", idempotency_key="t")
        assert off.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "token missing" in (off.value.details() or "")
        async with c.stub("svc:gateway") as stub:
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await stub.GetConnectorStatus(GetConnectorStatusRequest(name="fax"), timeout=10)
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
            one = await stub.GetConnectorStatus(GetConnectorStatusRequest(name="Telegram"))
            assert [(s.name, s.state) for s in one.connectors] == [("telegram", "disabled")]
    assert fake.posts == []


async def test_unavailable_then_ok_is_sent_once_after_a_retry(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    fake.script.extend([503, (429, 0.1)])
    async with connectors(pki, store_port, [webhook("codex", fake)]) as c:
        first = await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="r")
        assert first.status == "pending" and "status=503" in first.error_message

        async def sent() -> bool:
            return (await _ledger(pki, store_port, "r")).delivery.status == "sent"

        await testing.eventually(sent, "the retried delivery to be sent")
    assert [p.key for p in fake.posts] == ["r", "r", "r"]  # 503, 429, then 200: one arrived


async def test_a_rejected_delivery_fails_and_is_not_retried(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    fake.script.append(400)
    async with connectors(pki, store_port, [webhook("codex", fake)]) as c:
        out = await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="bad")
        # a later delivery is drained at once: had the failed one been retried, it came first
        async with testing.client_channel(pki, store_port, "svc:gateway") as ch:
            await DeliveryServiceStub(ch).CreateDelivery(
                drpc.CreateDeliveryRequest(
                    idempotency_key="after", connector="codex", chat_id="s", text="later"
                ),
                timeout=10,
            )
        await testing.eventually(lambda: "later" in fake.texts(), "the later notice")
    assert out.status == "failed" and "status=400" in out.error_message
    assert fake.texts() == ["hi", "later"]


async def test_a_long_text_is_split_and_a_retry_resumes_after_the_last_part_sent(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    paragraphs = ["one " * 4, "two " * 4, "three " * 3]
    text = "\n\n".join(p.strip() for p in paragraphs)
    fake.script.extend([200, 503])  # the second part is refused once
    async with connectors(pki, store_port, [webhook("codex", fake, part_limit=20)]) as c:
        out = await c.publish(connector="codex", external_id="s", text=text, idempotency_key="L")
        assert out.status == "pending" and out.platform_message_ids == ["m1"]

        async def sent() -> drpc.GetDeliveryResponse | None:
            got = await _ledger(pki, store_port, "L")
            return got if got.delivery.status == "sent" else None

        done = await testing.eventually(sent, "the rest of the long delivery")
    assert fake.texts() == [p.strip() for p in (paragraphs[0], paragraphs[1], paragraphs[1],
                                                paragraphs[2])]  # fmt: skip
    assert [p.key for p in fake.posts] == ["L#0", "L#1", "L#1", "L#2"]
    assert [(p.index, p.status) for p in done.delivery.parts] == [(0, "sent"), (1, "sent"),
                                                                  (2, "sent")]  # fmt: skip


async def test_a_timeout_after_the_request_went_out_is_unknown_and_not_retried(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    fake.hold = True  # the receiver takes the request and never answers in time
    slow = webhook("codex", fake)
    slow._config = WebhookConfig(fake.url, timeout_s=0.5)
    async with connectors(pki, store_port, [slow]) as c:
        out = await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="t")
        fake.release()
        unknown = await _ledger(pki, store_port, "t")
    assert out.status == "unknown" and "Timeout" in out.error_message
    assert unknown.delivery.status == "unknown" and len(fake.posts) == 1


async def test_a_delivery_still_refused_after_max_attempts_fails(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    fake.script.extend([503, 503, 503, 503])
    async with connectors(pki, store_port, [webhook("codex", fake)], delivery_max_attempts=2) as c:
        await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="m")

        async def failed() -> drpc.GetDeliveryResponse | None:
            got = await _ledger(pki, store_port, "m")
            return got if got.delivery.status == "failed" else None

        done = await testing.eventually(failed, "the delivery to give up")
    assert "gave up after 2 attempts" in done.delivery.last_error
    assert len(fake.posts) == 2
