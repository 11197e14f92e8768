"""Store records -> gateway resources. The gateway's resources keep the store's field names
(both follow the original's JSON), so a record is copied field by field by name."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message

from agent_runtime.gateway.v1 import resources_pb2, service_pb2
from agent_runtime.store.v1 import approval_pb2, identity_pb2, pairing_pb2
from gateway_svc.commands.base import Command
from gateway_svc.commands.base import Message as ChatMessage
from gateway_svc.inbox import Outcome

M = TypeVar("M", bound=Message)


def copy_named(src: Message, dst: M) -> M:
    """Set every scalar field of `dst` that `src` has under the same name."""
    have = src.DESCRIPTOR.fields_by_name
    for f in dst.DESCRIPTOR.fields:
        if f.name in have and f.message_type is None and not f.is_repeated:
            setattr(dst, f.name, getattr(src, f.name))
    return dst


def pairing(row: pairing_pb2.PairingRequest) -> resources_pb2.Pairing:
    return copy_named(row, resources_pb2.Pairing())


def identity(row: identity_pb2.Identity) -> resources_pb2.Identity:
    """Status and revoke time as the store keeps them (a record without a status is active)."""
    out = copy_named(row, resources_pb2.Identity())
    out.status = out.status or "active"
    return out


def approval(row: approval_pb2.ActionApproval) -> resources_pb2.Approval:
    return copy_named(row, resources_pb2.Approval())


def inbound(req: service_pb2.HandleMessageRequest) -> ChatMessage:
    """A connector's message, trimmed (the connector lower-cased)."""
    return ChatMessage(
        connector=req.connector.strip().lower(),
        external_id=req.external_id.strip(),
        display_name=req.display_name.strip(),
        from_user_id=req.from_user_id.strip(),
        text=req.text,
        direct=req.direct_message,
        mentioned=req.mentioned,
        from_display_name=req.from_display_name.strip(),
    )


def handled(out: Outcome) -> service_pb2.HandleMessageResponse:
    return service_pb2.HandleMessageResponse(
        handled=out.handled,
        reply=out.reply,
        duplicate=out.duplicate,
        task_id=out.task_id,
        pending=out.pending,
    )


def chatted(out: Outcome) -> service_pb2.ChatResponse:
    return service_pb2.ChatResponse(
        handled=out.handled,
        reply=out.reply.strip(),
        task_id=out.task_id,
        pending=out.pending,
        duplicate=out.duplicate,
    )


def chat_command(c: Command) -> service_pb2.ChatCommand:
    return service_pb2.ChatCommand(
        name=c.name,
        description=c.description,
        argument=c.argument,
        argument_description=c.argument_description,
        argument_required=c.required,
        permission="admin" if c.admin else "anyone",
    )
