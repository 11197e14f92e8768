"""Store records -> gateway resources. The gateway's resources keep the store's field names
(both follow the original's JSON), so a record is copied field by field by name."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message

from agent_runtime.gateway.v1 import resources_pb2
from agent_runtime.store.v1 import approval_pb2, identity_pb2, pairing_pb2

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
