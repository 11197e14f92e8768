"""A delivery's reply route (how the connector answers, e.g. a Discord interaction and its
token) is kept with the row on both backends and handed to the connectors with the row they
create, claim or record a part of; reads and listings (admins, the REST shim) never show it."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store

ROUTE = '{"kind":"discord.interaction","token":"secret"}'


async def test_the_route_reaches_the_connectors_only(
    pki: PkiPaths, tmp_path: Path, db_url: str
) -> None:
    async with (
        serving_store(pki, tmp_path, db_url=db_url) as ports,
        testing.client_channel(pki, ports.grpc, "svc:connectors") as ch,
    ):
        stub = DeliveryServiceStub(ch)
        new = drpc.CreateDeliveryRequest(
            idempotency_key="reply:discord:5001:77",
            connector="discord",
            chat_id="5001",
            text="hello",
            reply_to_message_id="77",
            reply_route=ROUTE,
        )
        made = (await stub.CreateDelivery(new)).delivery
        [claimed] = (
            await stub.ClaimDeliveries(
                drpc.ClaimDeliveriesRequest(connectors=["discord"], owner="b", lease_ms=5000)
            )
        ).items
        step = drpc.RecordDeliveryPartRequest(
            id=made.id, owner="b", index=0, count=1, status="sending", text="hello"
        )
        recorded = (await stub.RecordDeliveryPart(step)).delivery
        # the batch forms the connectors use under load hand it back alike
        batch = drpc.CreateDeliveriesRequest(deliveries=[new, *_other(new)])
        taken, other = (await stub.CreateDeliveries(batch)).results
        steps = drpc.RecordDeliveryPartsRequest(
            parts=[drpc.RecordDeliveryPartRequest(id=made.id, owner="b", index=0, count=1,
                                                  status="sent", platform_message_id="m1")]
        )  # fmt: skip
        [sent] = (await stub.RecordDeliveryParts(steps)).results
        got = (await stub.GetDelivery(drpc.GetDeliveryRequest(id=made.id))).delivery
        listed = (await stub.ListDeliveries(drpc.ListDeliveriesRequest())).items

    assert made.reply_route == claimed.reply_route == recorded.reply_route == ROUTE
    assert taken.code == "ALREADY_EXISTS" and other.delivery.reply_route == ROUTE
    assert sent.delivery.status == "sent" and sent.delivery.reply_route == ROUTE
    assert got.reply_route == "" and [d.reply_route for d in listed] == ["", ""]
    assert got.reply_to_message_id == "77" and made.id in {d.id for d in listed}


def _other(new: drpc.CreateDeliveryRequest) -> list[drpc.CreateDeliveryRequest]:
    other = drpc.CreateDeliveryRequest()
    other.CopyFrom(new)
    other.idempotency_key = "reply:discord:5001:78"
    return [other]
