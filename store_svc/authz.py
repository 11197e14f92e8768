"""Who may call which store RPC (DESIGN.md §1 "calls", §4; SPEC.md permissions).

The store is called by the orchestrator (tasks and their queue, approvals it raises and
executes, the agent's context and audit events, the objectives its agent tools create and
edit), the gateway (journal, contexts,
identities, pairing, approval decisions, admin reads for REST) and the scheduler
(objectives and their runs, its leader lease); connectors keep the outbound delivery
ledger, the IMAP ingestion marks, each ingested e-mail's mailbox context and review task,
their leader leases and their stream cursors. qmd never calls the store.
Admin certificates (grpcurl, TUI) may read everything and make the admin decisions:
approve/deny, pause/resume/delete objectives, cancel and replay, roles and revocation.

Audit entries name the verified caller (`svckit.callctx.audit_actor`), never a request's
`actor` field. The admin behind a relayed call is believed from the gateway, which
authenticates admins, and from the orchestrator and the scheduler, which pass on what the
gateway asserted to them (`open_channel(relay_admin=True)`); the entry then names the relay
too: `admin:alice via svc:orchestrator`."""

from __future__ import annotations

from svckit.authz import AllowList

ORCH, GW, SCHED, CONN, ADMIN = (
    "svc:orchestrator",
    "svc:gateway",
    "svc:scheduler",
    "svc:connectors",
    "admin:*",
)

RULES: dict[str, list[str]] = {
    # tasks: the orchestrator owns execution; admins read, cancel and replay
    "CreateTask": [ORCH, CONN],  # connectors: the review task of each ingested e-mail
    "CreateTasks": [ORCH],
    "GetTask": [ORCH, ADMIN],
    "ListTasks": [ORCH, ADMIN],
    "UpdateTaskRouting": [ORCH, GW, ADMIN],  # /route in chat
    "ClaimTasks": [ORCH],
    "HeartbeatTask": [ORCH],
    "CompleteTask": [ORCH],
    "CompleteTasks": [ORCH],
    "FailTask": [ORCH],
    "ReleaseTasks": [ORCH],
    "CancelTask": [ORCH, ADMIN],
    "QueueStats": [ORCH, ADMIN],
    "ListDeadLetters": [ORCH, ADMIN],
    "ReplayDeadLetter": [ORCH, ADMIN],
    # objectives: the scheduler plans and records; admins read and pause/resume/delete; the
    # orchestrator's agent tools create and edit them (not their `active`: see service.work)
    "CreateObjective": [SCHED, ORCH],
    "GetObjective": [SCHED, ORCH, ADMIN],
    "ListObjectives": [SCHED, ADMIN],
    "ListDueObjectives": [SCHED, ADMIN],
    "UpdateObjective": [SCHED, ORCH, ADMIN],
    "DeleteObjective": [SCHED, ADMIN],
    "RecordObjectiveRun": [SCHED],
    "RecordObjectiveRuns": [SCHED],
    "FinishObjectiveRun": [SCHED],
    "StartObjectiveRun": [SCHED],
    "ListObjectiveRuns": [SCHED, ADMIN],
    # approvals: the orchestrator raises and executes them; the gateway and admins decide
    "CreateApproval": [ORCH],
    "GetApproval": [ORCH, GW, ADMIN],
    "ListApprovals": [ORCH, GW, ADMIN],
    "DecideApproval": [GW, ADMIN],
    "RecordExecution": [ORCH],
    "QueueExecution": [ORCH],
    # sensitive-tool grants: admins grant and revoke (through the gateway too), the
    # orchestrator reads them
    "GrantSensitiveTools": [GW, ADMIN],
    "GetSensitiveGrant": [ORCH, GW, ADMIN],
    "RevokeSensitiveGrant": [GW, ADMIN],
    # workspaces and contexts
    "ListWorkspaces": [GW, ADMIN],
    "GetWorkspace": [ORCH, GW, SCHED, ADMIN],
    "EnsureContext": [GW, CONN],  # connectors: the context of an IMAP mailbox
    "GetContext": [ORCH, GW, SCHED, ADMIN],
    "FindContext": [ORCH, GW, ADMIN],
    "ListContexts": [ORCH, GW, SCHED, ADMIN],
    "UpdateContext": [GW, ADMIN],
    # users, identities, pairing
    "LookupIdentity": [ORCH, GW, ADMIN],
    "GetWorkspaceRole": [ORCH, GW, ADMIN],
    "SetWorkspaceRole": [GW, ADMIN],
    "GetUser": [ORCH, GW, ADMIN],
    "CreateUser": [GW, ADMIN],
    "ListIdentities": [GW, ADMIN],
    "SetUserRole": [GW, ADMIN],
    "RevokeIdentity": [GW, ADMIN],
    "CreatePairing": [GW],
    "LookupPairing": [GW, ADMIN],
    "ListPairings": [GW, ADMIN],
    "ApprovePairing": [GW, ADMIN],
    "DenyPairing": [GW, ADMIN],
    # ledgers
    "RecordInbound": [GW],
    "BeginInbound": [GW],
    "BeginInbounds": [GW],
    "CompleteInbounds": [GW],
    "CompleteInbound": [GW],
    "CheckImapIngested": [CONN, ADMIN],
    "MarkImapIngested": [CONN],
    "FindImapIngestion": [CONN, ADMIN],  # whom a reply to an e-mail context goes to
    "CreateDelivery": [CONN, GW],  # the gateway: replies of turns that outlived the wait
    "GetDelivery": [CONN, GW, ADMIN],
    "UpdateDelivery": [CONN],
    "ListDeliveries": [CONN, GW, ADMIN],
    "DeliverTurnReply": [GW],  # replies of turns that outlived the gateway's wait
    "ClaimDeliveries": [CONN],
    "RecordDeliveryPart": [CONN],
    "RecordDeliveryParts": [CONN],
    "CreateDeliveries": [CONN],
    # heartbeat components: processes report their own, the gateway (and admins) read
    "ReportComponents": [CONN, ORCH, SCHED, GW],
    "ListComponents": [GW, ADMIN],
    "AcquireLease": [SCHED, CONN],
    "RenewLease": [SCHED, CONN],
    "ReleaseLease": [SCHED, CONN],
    "GetLease": [SCHED, CONN, ADMIN],
    # stream cursors: a polling connector's acknowledged position (Telegram update offset)
    "GetCursor": [CONN, ADMIN],
    "PutCursor": [CONN],
    # audit
    "AppendAuditEvent": [ORCH, GW, SCHED],
    "ListAuditEvents": [GW, ADMIN],
    "CreateAgentAuditEvent": [ORCH, GW],
    "ListAgentAuditEvents": [GW, ADMIN],
}

# Who may tell the store which admin is behind a call (see the module docstring).
ADMIN_RELAYS = (GW, ORCH, SCHED)

# no "*" rule: a method nobody listed is denied to everyone (a test keeps the list complete)
ALLOW = AllowList(RULES, admin_relays=ADMIN_RELAYS)
