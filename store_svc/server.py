"""build_server(settings, deps) -> Service: wires domain objects into servicers; starts
nothing, opens nothing."""

from __future__ import annotations

from agent_runtime.store.v1 import (
    approval_service_pb2_grpc,
    audit_service_pb2_grpc,
    component_service_pb2_grpc,
    cursor_service_pb2_grpc,
    delivery_service_pb2_grpc,
    grant_service_pb2_grpc,
    identity_service_pb2_grpc,
    journal_service_pb2_grpc,
    lease_service_pb2_grpc,
    objective_service_pb2_grpc,
    pairing_service_pb2_grpc,
    task_service_pb2_grpc,
    workspace_service_pb2_grpc,
)
from store_svc.approval_expiry import ApprovalSweeper
from store_svc.approvals import Approvals
from store_svc.audit import Audit
from store_svc.authz import ALLOW
from store_svc.components import Components
from store_svc.config import StoreSettings
from store_svc.cursors import Cursors
from store_svc.db.base import libpq_url
from store_svc.dead_letters import DeadLetters
from store_svc.deliveries import Deliveries
from store_svc.delivery_claims import DeliveryClaims
from store_svc.deps import Deps
from store_svc.grants import Grants
from store_svc.identities import Identities
from store_svc.inbound import Inbound
from store_svc.journal import Journal
from store_svc.keys import Keys
from store_svc.leases import Leases
from store_svc.objective_runs import ObjectiveRuns
from store_svc.objectives import Objectives
from store_svc.pairing import Limits, Pairings
from store_svc.queue import Backoff, Queue
from store_svc.service.components import ComponentService
from store_svc.service.cursors import CursorService
from store_svc.service.grants import GrantService
from store_svc.service.ledgers import AuditService, DeliveryService, JournalService, LeaseService
from store_svc.service.people import IdentityService, PairingService
from store_svc.service.tasks import TaskService
from store_svc.service.work import ApprovalService, ObjectiveService
from store_svc.service.workspaces import WorkspaceService
from store_svc.tasks import Tasks
from store_svc.turn_replies import TurnReplies
from store_svc.wakeups import Wakeups
from store_svc.workspace_roles import WorkspaceRoles
from store_svc.workspaces import Workspaces
from svckit.serve import Service, ServiceDef

PKG = "agent_runtime.store.v1."


def build_server(settings: StoreSettings, deps: Deps) -> Service:
    """The store's gRPC services with their allow list, ready for `start()`."""
    db, clock = deps.db, deps.clock
    keys = Keys(clock)  # shared by every aggregate: one creation order per store
    backoff = Backoff(settings.task_retry_base_ms, settings.task_retry_cap_ms)
    wake = Wakeups()  # new tasks and deliveries wake long-polling claimers
    recheck_s = settings.task_claim_recheck_ms / 1000
    journal = Journal(db, clock, keys, settings.journal_retake_after_seconds)
    defs = [
        ServiceDef(
            task_service_pb2_grpc.add_TaskServiceServicer_to_server,
            TaskService(
                Tasks(db, clock, keys, wake),
                Queue(db, clock, keys, backoff, wake, recheck_s),
                DeadLetters(db, clock, keys, wake),
            ),
            PKG + "TaskService",
        ),
        ServiceDef(
            workspace_service_pb2_grpc.add_WorkspaceServiceServicer_to_server,
            WorkspaceService(Workspaces(db, clock, keys)),
            PKG + "WorkspaceService",
        ),
        ServiceDef(
            identity_service_pb2_grpc.add_IdentityServiceServicer_to_server,
            IdentityService(Identities(db, clock, keys), WorkspaceRoles(db, clock, keys)),
            PKG + "IdentityService",
        ),
        ServiceDef(
            pairing_service_pb2_grpc.add_PairingServiceServicer_to_server,
            PairingService(Pairings(db, clock, keys, _pairing_limits(settings))),
            PKG + "PairingService",
        ),
        ServiceDef(
            journal_service_pb2_grpc.add_JournalServiceServicer_to_server,
            JournalService(journal, Inbound(journal, db, clock, keys)),
            PKG + "JournalService",
        ),
        ServiceDef(
            delivery_service_pb2_grpc.add_DeliveryServiceServicer_to_server,
            DeliveryService(
                Deliveries(db, clock, keys, wake),
                TurnReplies(db, clock, keys, wake),
                DeliveryClaims(db, clock, wake, recheck_s),
            ),
            PKG + "DeliveryService",
        ),
        ServiceDef(
            lease_service_pb2_grpc.add_LeaseServiceServicer_to_server,
            LeaseService(Leases(db, clock)),
            PKG + "LeaseService",
        ),
        ServiceDef(
            cursor_service_pb2_grpc.add_CursorServiceServicer_to_server,
            CursorService(Cursors(db, clock)),
            PKG + "CursorService",
        ),
        ServiceDef(
            objective_service_pb2_grpc.add_ObjectiveServiceServicer_to_server,
            ObjectiveService(Objectives(db, clock, keys), ObjectiveRuns(db, clock, keys)),
            PKG + "ObjectiveService",
        ),
        ServiceDef(
            approval_service_pb2_grpc.add_ApprovalServiceServicer_to_server,
            ApprovalService(Approvals(db, clock, keys, settings.approval_ttl_seconds, wake)),
            PKG + "ApprovalService",
        ),
        ServiceDef(
            grant_service_pb2_grpc.add_GrantServiceServicer_to_server,
            GrantService(Grants(db, clock, keys)),
            PKG + "GrantService",
        ),
        ServiceDef(
            component_service_pb2_grpc.add_ComponentServiceServicer_to_server,
            ComponentService(Components(db, clock)),
            PKG + "ComponentService",
        ),
        ServiceDef(
            audit_service_pb2_grpc.add_AuditServiceServicer_to_server,
            AuditService(Audit(db, clock, keys)),
            PKG + "AuditService",
        ),
    ]
    service = Service("store", settings, defs, allow=ALLOW)
    sweeper = ApprovalSweeper(db, clock, keys, settings.approval_sweep_seconds, wake)
    service.on_start.append(sweeper.start)
    service.on_stop.append(sweeper.stop)
    url = settings.database_url
    if url.startswith("postgres"):  # other replicas may share the database: tell them
        from store_svc.db.pg_wakeups import PgWakeRelay  # psycopg only with PostgreSQL

        relay = PgWakeRelay(libpq_url(url), wake)
        service.on_start.append(relay.start)
        service.on_stop.append(relay.stop)
    return service


def _pairing_limits(settings: StoreSettings) -> Limits:
    return Limits(
        settings.pairing_max_pending,
        settings.pairing_starts_per_window,
        settings.pairing_window_seconds,
    )
