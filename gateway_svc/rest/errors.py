"""gRPC status -> HTTP status and the JSON error body `{"code", "message", "details"}`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

from svckit.errors import HTTP_STATUS

STATUS_DETAILS = "grpc-status-details-bin"


@dataclass(slots=True)
class RestError(Exception):
    """An error answered as JSON: gRPC code name, HTTP status, message, string details."""

    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)
    status: int = 0
    headers: Sequence[tuple[bytes, bytes]] = ()

    def __post_init__(self) -> None:
        if not self.status:
            self.status = HTTP_STATUS.get(self.code, 500)

    def body(self) -> bytes:
        doc = {"code": self.code, "message": self.message, "details": self.details}
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def bad_request(message: str, **details: str) -> RestError:
    return RestError("INVALID_ARGUMENT", message, dict(details))


def _details(trailing: Mapping[str, str | bytes]) -> dict[str, str]:
    raw = trailing.get(STATUS_DETAILS)
    if not isinstance(raw, bytes):
        return {}
    status = status_pb2.Status()
    try:
        status.ParseFromString(raw)
    except DecodeError:
        return {}
    out: dict[str, str] = {}
    for any_ in status.details:
        info = error_details_pb2.ErrorInfo()
        if any_.Unpack(info):  # False for another message type
            out.update(info.metadata)
            continue
        bad = error_details_pb2.BadRequest()
        if any_.Unpack(bad) and bad.field_violations:
            out["field"] = bad.field_violations[0].field
    return out


def from_rpc_error(exc: grpc.aio.AioRpcError, rpc: str = "") -> RestError:
    """The REST error for a failed call, details taken from google.rpc.Status if present."""
    code = exc.code()
    name = code.name if code is not None else "UNKNOWN"
    message = exc.details() or name.lower().replace("_", " ")
    if name == "UNIMPLEMENTED":
        message = f"{rpc or 'this route'} is not implemented by its backend yet ({message})"
    trailing = dict(exc.trailing_metadata() or ())
    return RestError(name, message, _details(trailing))
