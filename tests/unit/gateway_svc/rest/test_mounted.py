"""The production mount: every annotated service of the generated code."""

import httpx
from openapi_spec_validator import validate

from gateway_svc.rest import EXCLUDED, build_app, mount, openapi_document

# REFERENCE.md §9: the original's routes keep their paths (SPEC.md "Keep").
ORIGINAL = [
    ("post", "/api/v1/chat"),
    ("get", "/api/v1/info"),
    ("get", "/api/v1/heartbeat"),
    ("post", "/api/v1/tasks"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/retry"),
    ("post", "/api/v1/pairings/start"),
    ("get", "/api/v1/pairings/lookup"),
    ("post", "/api/v1/pairings/approve"),
    ("post", "/api/v1/pairings/deny"),
    ("post", "/api/v1/objectives"),
    ("get", "/api/v1/objectives"),
    ("post", "/api/v1/objectives/update"),
    ("post", "/api/v1/objectives/active"),
    ("post", "/api/v1/objectives/delete"),
]


def test_production_document_is_valid_and_has_the_original_routes() -> None:
    doc = openapi_document(mount.discover(exclude=EXCLUDED))
    validate(doc)
    present = {(m, p) for p, item in doc["paths"].items() for m in item}
    missing = [route for route in ORIGINAL if route not in present]
    assert not missing, missing
    assert not any(p.startswith("/api/v1/testing") for p in doc["paths"])


async def test_a_service_without_a_backend_answers_501() -> None:
    app = build_app(mount.discover(exclude=EXCLUDED), {}, token="t")
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": "Bearer t"}
    async with httpx.AsyncClient(transport=transport, base_url="https://x", headers=headers) as c:
        r = await c.post("/api/v1/tasks", json={})
        healthz = await c.get("/healthz")
    assert r.status_code == 501
    assert r.json()["code"] == "UNIMPLEMENTED" and "OrchestratorService" in r.json()["message"]
    assert healthz.status_code == 200
