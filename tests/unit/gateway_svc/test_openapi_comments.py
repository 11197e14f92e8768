"""The OpenAPI document's prose comes from the proto comments that `make gen` tabled."""

from __future__ import annotations

import re
from pathlib import Path

from agent_runtime.connectors.v1 import service_pb2 as connectors
from agent_runtime.orchestrator.v1 import service_pb2 as orchestrator
from gateway_svc.rest import comments, openapi_document

PROTOS = Path(__file__).resolve().parents[3] / "protos"


def _leading_comment(proto: Path, declaration: str) -> str:
    """The `//` lines right above a declaration, as the table joins them."""
    lines = proto.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(declaration))
    above: list[str] = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("//"):
            break
        above.insert(0, re.sub(r"^\s*// ?", "", line).strip())
    return " ".join(above)


def test_rpc_summary_and_resource_fields_carry_their_proto_comments() -> None:
    svcs = [
        orchestrator.DESCRIPTOR.services_by_name["OrchestratorService"],
        connectors.DESCRIPTOR.services_by_name["ConnectorsService"],
    ]
    doc = openapi_document(svcs)

    stats = _leading_comment(
        PROTOS / "agent_runtime/orchestrator/v1/service.proto", "rpc GetQueueStats("
    )
    assert stats.startswith("GetQueueStats reports queue depth")
    ops = [op for path in doc["paths"].values() for op in path.values()]
    assert any(op.get("description") == stats for op in ops)

    # A field of a message in resources.proto, not the service's own file, is described too.
    status = doc["components"]["schemas"]["agent_runtime.connectors.v1.ConnectorStatus"]
    assert status["properties"]["enabled"]["description"].startswith("True when the connector")


def test_comments_are_scoped_to_the_requested_packages() -> None:
    only = comments.load({"agent_runtime.qmd.v1"})
    assert only
    assert all(name.startswith("agent_runtime.qmd.v1.") for name in only)
    assert comments.load({"agent_runtime.nothing.v1"}) == {}
