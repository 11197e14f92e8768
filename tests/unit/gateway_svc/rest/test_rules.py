from agent_runtime.testing.v1 import testing_pb2 as pb
from gateway_svc.rest import mount
from gateway_svc.rest.codec import JsonCodec
from gateway_svc.rest.errors import RestError
from gateway_svc.rest.router import Router
from gateway_svc.rest.rules import service_bindings

SERVICE = pb.DESCRIPTOR.services_by_name["TranscodeTestService"]


def test_bindings_include_additional_bindings_and_skip_unannotated() -> None:
    got = [(b.method.name, b.http_method, b.template.source) for b in service_bindings([SERVICE])]
    assert ("GetItem", "GET", "/api/v1/testing/items:lookup") in got
    assert ("DeleteItem", "DELETE", "/api/v1/testing/items/{id}") in got
    assert not any(name == "Unannotated" for name, _, _ in got)


def test_router_matches_most_specific_and_reports_405() -> None:
    router = Router(mount.compile_routes([SERVICE], JsonCodec()))
    route, captures = router.match("POST", "/api/v1/testing/items/i1:retry")
    assert route.binding.method.name == "RetryItem" and captures == ["i1"]
    route, _ = router.match("GET", "/api/v1/testing/items:watch")
    assert route.binding.method.name == "WatchItems"
    try:
        router.match("PUT", "/api/v1/testing/items/i1")
    except RestError as err:
        assert err.status == 405
        assert dict(err.headers)[b"allow"] == b"DELETE, GET, PATCH"
    else:
        raise AssertionError("expected 405")
    try:
        router.match("GET", "/api/v1/nothing")
    except RestError as err:
        assert err.status == 404 and err.code == "NOT_FOUND"


def test_discover_finds_annotated_services_and_excludes_testing() -> None:
    names = [s.full_name for s in mount.discover(exclude=("agent_runtime.testing.",))]
    assert "agent_runtime.testing.v1.TranscodeTestService" not in names
    assert names == sorted(names)
