"""The gateway's additions to /api/v1: the original's creation statuses."""

from openapi_spec_validator import validate

from gateway_svc.api import SUCCESS_STATUS
from gateway_svc.rest import EXCLUDED, mount, openapi_document
from gateway_svc.rest.codec import JsonCodec


def test_every_status_names_an_annotated_rpc() -> None:
    routes = mount.compile_routes(mount.discover(exclude=EXCLUDED), JsonCodec(), SUCCESS_STATUS)
    statuses = {r.binding.rpc_path: r.success_status for r in routes}
    for rpc, status in SUCCESS_STATUS.items():
        assert statuses.get(rpc) == status, rpc


def test_the_document_promises_the_original_statuses() -> None:
    doc = openapi_document(mount.discover(exclude=EXCLUDED), SUCCESS_STATUS)
    validate(doc)
    paths = doc["paths"]
    assert "202" in paths["/api/v1/tasks"]["post"]["responses"]
    assert "202" in paths["/api/v1/tasks/retry"]["post"]["responses"]
    assert "201" in paths["/api/v1/pairings/start"]["post"]["responses"]
    assert "201" in paths["/api/v1/objectives"]["post"]["responses"]
    assert "200" in paths["/api/v1/tasks"]["get"]["responses"]
