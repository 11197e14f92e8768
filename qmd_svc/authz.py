"""Who may call which qmd RPC."""

from __future__ import annotations

from svckit.authz import AllowList

READERS = ["svc:gateway", "svc:orchestrator", "admin:*"]
WRITERS = ["svc:gateway", "svc:orchestrator", "svc:connectors", "admin:*"]
ALLOW = AllowList(
    {
        "Search": READERS,
        "GetDocument": READERS,
        "BatchGetDocuments": READERS,
        "GetIndexStatus": READERS,
        "Reindex": WRITERS,
        "IngestDocument": WRITERS,
        "*": ["admin:*"],
    }
)
