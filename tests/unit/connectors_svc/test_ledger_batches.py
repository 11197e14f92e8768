"""The replies that go out together share the store's round trips (CreateDeliveries,
RecordDeliveryParts): each reply is still created or recorded on its own, with its own
answer, and a refused one fails only itself."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from connectors_svc.clients import StoreLedger
from connectors_svc.deps import NewDelivery, PartStep
from svckit import testing
from svckit.pki import PkiPaths


def _new(key: str, connector: str = "telegram") -> NewDelivery:
    return NewDelivery(idempotency_key=key, connector=connector, chat_id="42", text=f"hi {key}")


async def test_replies_created_and_recorded_together_each_get_their_own_outcome(
    pki: PkiPaths, store_port: int
) -> None:
    async with testing.client_channel(pki, store_port, "svc:connectors") as channel:
        ledger = StoreLedger(channel)
        keys = [f"k{n}" for n in range(30)]
        made = await asyncio.gather(
            *(ledger.create(_new(k), "a", 30_000, sending_text=f"hi {k}") for k in keys),
            ledger.create(_new("k0"), "a", 30_000, sending_text="hi k0"),  # the same again
        )
        assert [made[0], made[-1]].count(None) == 1  # the same key is recorded once
        assert sorted(d.idempotency_key for d in made if d) == sorted(keys)
        assert {d.status for d in made if d} == {"sending"}
        rows = {d.idempotency_key: d for d in made if d}
        steps = [
            ledger.record(rows[k].id, "a", PartStep(0, 1, "sent", platform_message_id=k), 30_000)
            for k in keys
        ]
        stolen = ledger.record(rows["k1"].id, "b", PartStep(0, 1, "sent"), 30_000)
        *sent, refused = await asyncio.gather(*steps, stolen, return_exceptions=True)
        assert all(not isinstance(d, BaseException) and d.status == "sent" for d in sent)
        assert isinstance(refused, Exception) and "lease" in str(refused).lower()
        assert (await ledger.get_by_key("k1")).parts[0].platform_message_id == "k1"


async def test_a_batch_refuses_bad_items_alone_and_bad_batches_whole(
    pki: PkiPaths, store_port: int
) -> None:
    async with testing.client_channel(pki, store_port, "svc:connectors") as channel:
        stub = DeliveryServiceStub(channel)
        good = drpc.CreateDeliveryRequest(idempotency_key="g", connector="telegram", chat_id="1")
        nameless = drpc.CreateDeliveryRequest(idempotency_key="n", chat_id="1")
        reply = await stub.CreateDeliveries(
            drpc.CreateDeliveriesRequest(deliveries=[good, nameless, good])
        )
        [ok, bad, dup] = reply.results
        assert ok.delivery.status == "pending" and not ok.code
        assert (bad.code, bad.field) == ("INVALID_ARGUMENT", "connector")
        assert dup.code == "ALREADY_EXISTS" and not dup.delivery.id
        listed = await stub.ListDeliveries(drpc.ListDeliveriesRequest())
        assert [d.idempotency_key for d in listed.items] == ["g"]
        for batch in ([], [good] * 101):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.CreateDeliveries(drpc.CreateDeliveriesRequest(deliveries=batch))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as empty:
            await stub.RecordDeliveryParts(drpc.RecordDeliveryPartsRequest())
        assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    async with testing.client_channel(pki, store_port, "svc:gateway") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await DeliveryServiceStub(channel).CreateDeliveries(
                drpc.CreateDeliveriesRequest(deliveries=[good])
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
