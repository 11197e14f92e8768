"""The served OpenAPI document: valid OpenAPI 3.1, and the server keeps every promise it makes
in it (schemathesis over every operation: no 5xx, responses match their schemas)."""

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi import checks

from svckit import testing
from tests.unit.gateway_svc.rest.stack import TOKEN, Stack, running_stack


class ThreadedStack:
    """The async stack on its own loop in a thread, for schemathesis' synchronous tests."""

    def __init__(self, root: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.exit = contextlib.AsyncExitStack()
        self.pki = testing.make_pki(root)

    def __enter__(self) -> Stack:
        self.thread.start()
        coro = self.exit.enter_async_context(running_stack(self.pki))
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.exit.aclose(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with ThreadedStack(tmp_path_factory.mktemp("pki")) as stack:
        yield stack


@pytest.fixture(scope="module")
def served(live: Stack) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=str(live.pki.ca_cert))
    headers = {"authorization": f"Bearer {TOKEN}"}
    r = httpx.get(f"{live.base_url}/api/v1/openapi.json", verify=ctx, headers=headers)
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


def test_document_is_valid_openapi_31(served: dict[str, Any]) -> None:
    validate(served)
    assert served["openapi"] == "3.1.0"
    ops = {op["operationId"] for item in served["paths"].values() for op in item.values()}
    assert "TranscodeTestService_GetItem_1" in ops and len(ops) == 8
    get = served["paths"]["/api/v1/testing/items/{id}"]["get"]
    assert get["summary"].startswith("GetItem reads one item")
    names = {
        p["name"] for p in served["paths"]["/api/v1/testing/{parent}/items"]["get"]["parameters"]
    }
    assert names == {"parent", "limit", "tags", "filter.kind", "filter.min_size", "active_only"}


@pytest.fixture(scope="module")
def api_schema(served: dict[str, Any]) -> Any:
    loaded = schemathesis.openapi.from_dict(served)
    # The coverage phase enumerates every boundary of every parameter: thorough but slow on two
    # cores. The property-based phase with bounded examples keeps `make test` fast.
    loaded.config.phases.coverage.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: Any, live: Stack) -> None:
    # Excluded: auth has its own tests (401 without or with a wrong token, admin certificate);
    # and proto3 JSON is deliberately more lenient than the schema (null for any field,
    # strings for numbers), so "schema-violating data accepted" is by design.
    case.call_and_validate(
        base_url=live.base_url,
        headers={"authorization": f"Bearer {TOKEN}"},
        verify=str(live.pki.ca_cert),
        excluded_checks=[checks.ignored_auth, checks.negative_data_rejection],
    )
