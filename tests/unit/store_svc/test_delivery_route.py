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
        got = (await stub.GetDelivery(drpc.GetDeliveryRequest(id=made.id))).delivery
        [listed] = (await stub.ListDeliveries(drpc.ListDeliveriesRequest())).items

    assert made.reply_route == claimed.reply_route == recorded.reply_route == ROUTE
    assert got.reply_route == listed.reply_route == ""
    assert got.reply_to_message_id == "77" and listed.id == made.id
