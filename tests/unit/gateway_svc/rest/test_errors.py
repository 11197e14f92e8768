import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from gateway_svc.rest.errors import RestError, from_rpc_error
from svckit import errors
from svckit.interceptors import status_metadata


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("INVALID_ARGUMENT", 400),
        ("UNAUTHENTICATED", 401),
        ("PERMISSION_DENIED", 403),
        ("NOT_FOUND", 404),
        ("ALREADY_EXISTS", 409),
        ("ABORTED", 409),
        ("FAILED_PRECONDITION", 400),
        ("RESOURCE_EXHAUSTED", 429),
        ("UNIMPLEMENTED", 501),
        ("UNAVAILABLE", 503),
        ("DEADLINE_EXCEEDED", 504),
        ("INTERNAL", 500),
        ("DATA_LOSS", 500),
    ],
)
def test_canonical_table(code: str, status: int) -> None:
    exc = AioRpcError(grpc.StatusCode[code], Metadata(), Metadata(), details="boom")
    err = from_rpc_error(exc)
    assert (err.code, err.status) == (code, status)


def test_details_come_from_the_status_error_info() -> None:
    domain = errors.AlreadyExists("exists", existing_id="t-1")
    trailing = Metadata(*status_metadata(domain))
    exc = AioRpcError(grpc.StatusCode.ALREADY_EXISTS, Metadata(), trailing, details="exists")
    err = from_rpc_error(exc)
    assert err.status == 409
    assert (
        err.body()
        == b'{"code":"ALREADY_EXISTS","message":"exists","details":{"existing_id":"t-1"}}'
    )


def test_unknown_code_is_500() -> None:
    assert RestError("SOMETHING", "x").status == 500
