"""Domain errors and the one table that maps them to gRPC and HTTP status codes.

Domain code raises these; the server wrapper turns them into a gRPC status (with details)
once, at the boundary; the REST shim turns that status into HTTP with the same table.
This module never imports grpc so domain code can use it freely.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every error a caller may see. `details` travel with the status."""

    code: ClassVar[str] = "UNKNOWN"

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: str(v) for k, v in details.items() if v is not None}


class InvalidArgument(DomainError):
    code = "INVALID_ARGUMENT"

    def __init__(self, message: str, *, field: str | None = None, **details: str) -> None:
        super().__init__(message, **({"field": field} if field else {}), **details)
        self.field = field


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"

    def __init__(self, message: str, *, existing_id: str | None = None, **details: str) -> None:
        super().__init__(
            message, **({"existing_id": existing_id} if existing_id else {}), **details
        )
        self.existing_id = existing_id


class FailedPrecondition(DomainError):
    code = "FAILED_PRECONDITION"


class Aborted(DomainError):
    code = "ABORTED"


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class ResourceExhausted(DomainError):
    code = "RESOURCE_EXHAUSTED"


class Unavailable(DomainError):
    code = "UNAVAILABLE"


class DeadlineExceeded(DomainError):
    code = "DEADLINE_EXCEEDED"


class Unimplemented(DomainError):
    code = "UNIMPLEMENTED"


class Internal(DomainError):
    code = "INTERNAL"


class Canceled(DomainError):
    code = "CANCELLED"


BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        Aborted,
        PermissionDenied,
        Unauthenticated,
        ResourceExhausted,
        Unavailable,
        DeadlineExceeded,
        Unimplemented,
        Internal,
        Canceled,
    )
}

# The canonical gRPC -> HTTP table (google.rpc.Code mapping, as grpc-gateway uses it).
HTTP_STATUS: dict[str, int] = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}


def build(code: str, message: str, details: dict[str, str] | None = None) -> DomainError:
    """The domain error for a status code name (used on the client side)."""
    cls = BY_CODE.get(code)
    err = cls.__new__(cls) if cls else DomainError.__new__(DomainError)
    DomainError.__init__(err, message, **(details or {}))
    if cls is None:
        err.code = code  # type: ignore[misc]
    if isinstance(err, InvalidArgument):
        err.field = err.details.get("field")
    if isinstance(err, AlreadyExists):
        err.existing_id = err.details.get("existing_id")
    return err


def from_rpc_error(exc: Exception) -> DomainError:
    """Rebuild the domain error from a failed call (a grpc.aio.AioRpcError), details included."""
    from google.rpc import error_details_pb2, status_pb2  # local: keep this module grpc-free

    code_fn = getattr(exc, "code", None)
    code = code_fn().name if callable(code_fn) else "UNKNOWN"
    details_fn = getattr(exc, "details", None)
    message = (details_fn() if callable(details_fn) else None) or str(exc)
    extra: dict[str, str] = {}
    trailers_fn = getattr(exc, "trailing_metadata", None)
    for key, value in (trailers_fn() if callable(trailers_fn) else None) or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for any_detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if any_detail.Unpack(info):
                    extra.update(info.metadata)
    return build(code, message, extra)
