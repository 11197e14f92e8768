"""Mapping between the connectors' messages and the domain's values (servicer only)."""

from __future__ import annotations

from agent_runtime.connectors.v1 import resources_pb2, service_pb2
from connectors_svc.deps import NewDelivery
from connectors_svc.publish import Published
from connectors_svc.status import ConnectorView


def new_delivery(r: service_pb2.PublishRequest) -> NewDelivery:
    return NewDelivery(
        idempotency_key=r.idempotency_key,
        connector=r.connector,
        chat_id=r.external_id,
        text=r.text,
        workspace_id=r.workspace_id,
        context_id=r.context_id,
        reply_to_message_id=r.reply_to_message_id,
        subject=r.subject,
    )


def published(p: Published) -> service_pb2.PublishResponse:
    d = p.delivery
    return service_pb2.PublishResponse(
        delivery_id=d.id,
        status=d.status,
        duplicate=p.duplicate,
        platform_message_ids=d.sent_ids(),
        error_message=d.last_error if d.status != "sent" else "",
    )


def status(v: ConnectorView, can_publish: bool) -> resources_pb2.ConnectorStatus:
    return resources_pb2.ConnectorStatus(
        name=v.name,
        enabled=v.enabled,
        state=v.state,
        message=v.message,
        error=v.error,
        last_beat_at_unix=v.last_beat_at_unix,
        leader=v.leader,
        can_publish=can_publish,
        bot_username=v.bot_username,
        last_inbound_at_unix=v.last_inbound_at_unix,
        last_outbound_at_unix=v.last_outbound_at_unix,
    )
