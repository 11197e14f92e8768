"""The store's annotated routes end to end: a real store_svc process over mTLS behind the REST
listener, called over HTTPS."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agent_runtime.store.v1 import workspace_service_pb2 as ws
from agent_runtime.store.v1 import workspace_service_pb2_grpc as ws_grpc
from gateway_svc import rest
from gateway_svc.rest import mount
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.rest.stack import TESTING, TOKEN, Stack, settings_for


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return testing.make_pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def store_port(pki: PkiPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with testing.service_process("store_svc", pki, tmp_path_factory.mktemp("data")) as store:
        yield store.grpc


@pytest.fixture
async def stack(pki: PkiPaths, store_port: int) -> AsyncIterator[Stack]:
    services = [s for s in mount.discover() if mount.backend_key(s) == "store"]
    server = rest.serve(
        settings_for(pki, store_addr=f"127.0.0.1:{store_port}"),
        services=services,
        port=0,
        token=TOKEN,
    )
    port = await server.start()
    try:
        yield Stack(pki, f"https://127.0.0.1:{port}", store_port)
    finally:
        await server.stop()


async def test_workspace_routes_have_the_store_shapes(stack: Stack) -> None:
    async with testing.client_channel(stack.pki, stack.grpc_port, "svc:gateway") as channel:
        made = await ws_grpc.WorkspaceServiceStub(channel).EnsureContext(
            ws.EnsureContextRequest(connector="telegram", external_id="42", display_name="Ops"),
            timeout=10,
        )
    wid = made.context.workspace_id
    async with stack.client() as c:
        one = await c.get(f"/api/v1/workspaces/{wid}")
        many = await c.get("/api/v1/workspaces", params={"page_size": 10})
        contexts = await c.get("/api/v1/contexts", params={"workspace_id": wid})
        missing = await c.get("/api/v1/workspaces/does-not-exist")
        ready = await c.get("/readyz")
    assert one.status_code == 200, one.text
    workspace = one.json()["workspace"]
    assert workspace["id"] == wid and isinstance(workspace["created_at_unix"], int)
    assert {"id", "slug", "name", "kind", "owner_user_id", "created_at_unix"} <= set(workspace)
    assert many.status_code == 200 and wid in [w["id"] for w in many.json()["items"]]
    assert many.json()["count"] >= 1
    assert contexts.status_code == 200, contexts.text
    ctx = contexts.json()["items"][0]
    assert ctx["connector"] == "telegram" and ctx["external_id"] == "42"
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert ready.status_code == 200


@pytest.mark.parametrize("token", ["kOTIyMzM3MjAzNjg1NDc3NTgwODp3", "k%%%", "12"])
async def test_a_malformed_or_out_of_range_page_token_is_400_naming_it(
    stack: Stack, token: str
) -> None:
    async with stack.client() as c:  # the first: a position past int64 ("9223372036854775808:w")
        bad = await c.get("/api/v1/workspaces", params={"page_token": token})
        good = await c.get("/api/v1/workspaces")
    assert bad.status_code == 400, bad.text
    err = bad.json()
    assert err["code"] == "INVALID_ARGUMENT" and err["details"]["field"] == "page_token"
    assert good.status_code == 200, good.text


async def test_a_backend_without_the_service_answers_501(pki: PkiPaths, store_port: int) -> None:
    server = rest.serve(
        settings_for(pki),
        services=[TESTING],
        port=0,
        token=TOKEN,
        addresses={"testing": f"127.0.0.1:{store_port}"},  # the store does not serve it
    )
    port = await server.start()
    try:
        async with Stack(pki, f"https://127.0.0.1:{port}", store_port).client() as c:
            r = await c.get("/api/v1/testing/items/x")
    finally:
        await server.stop()
    assert r.status_code == 501
    doc = r.json()
    assert doc["code"] == "UNIMPLEMENTED" and "TranscodeTestService/GetItem" in doc["message"]
