"""Typed async facades over other services' stubs, one module per callee (`store`,
`journal`: the store's; `orchestrator`; `peers`: qmd, the scheduler and the Health probe).

The store facades turn a failed call back into the domain error the store raised
(`svckit.errors.from_rpc_error`), so its code and details reach our own callers unchanged:
the store's NOT_FOUND stays a 404 on /api/v1, its INVALID_ARGUMENT keeps its `field`.
The store's ApprovalService facade is shared with the orchestrator
(`store_svc.client.StoreApprovals`). What a chat message uses: the store's journal,
contexts, identities and delivery ledger, the orchestrator's turns, qmd and the scheduler."""

from gateway_svc.clients.journal import StoreJournal
from gateway_svc.clients.orchestrator import OrchestratorTasks, OrchestratorTurns
from gateway_svc.clients.peers import GrpcHealthProbe, QmdIndex, SchedulerObjectives
from gateway_svc.clients.store import (
    STORE_RETRY_METHODS,
    StoreComponents,
    StoreContexts,
    StoreIdentities,
    StoreOutbox,
    StorePairings,
    StoreRouting,
)

__all__ = [
    "STORE_RETRY_METHODS",
    "GrpcHealthProbe",
    "OrchestratorTasks",
    "OrchestratorTurns",
    "QmdIndex",
    "SchedulerObjectives",
    "StoreComponents",
    "StoreContexts",
    "StoreIdentities",
    "StoreJournal",
    "StoreOutbox",
    "StorePairings",
    "StoreRouting",
]
