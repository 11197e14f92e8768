"""Tables of work and its ledgers: tasks, dead letters, objectives and runs, approvals."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel


def _big(default: int | None = None, nullable: bool = False) -> Column[int]:
    sd = None if default is None else sql(str(default))
    return Column(BigInteger, nullable=nullable, server_default=sd)


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("idx_tasks_run_key", "run_key", unique=True),
        Index("idx_tasks_claim", "status", "lane_rank", "priority_rank", "created_at_ms"),
        Index("idx_tasks_workspace", "workspace_id", "updated_at_unix"),
        # one turn per conversation: a claim looks for the context's running or older turns
        Index("idx_tasks_context_kind", "context_id", "kind", "status"),
    )
    id: str = Field(primary_key=True)
    workspace_id: str
    context_id: str
    kind: str
    title: str
    prompt: str
    run_key: str | None = None
    status: str
    route_class: str | None = None
    priority: str | None = None
    due_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    assigned_lane: str | None = None
    source_connector: str | None = None
    source_external_id: str | None = None
    source_user_id: str | None = None
    source_text: str | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": sql("0")})
    worker_id: str | None = None
    started_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    finished_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    result_summary: str | None = None
    result_path: str | None = None
    error_message: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())
    lane: str = Field(default="task", sa_column_kwargs={"server_default": "task"})
    lane_rank: int = Field(default=1, sa_column_kwargs={"server_default": sql("1")})
    priority_rank: int = Field(default=2, sa_column_kwargs={"server_default": sql("2")})
    max_attempts: int = Field(default=3, sa_column_kwargs={"server_default": sql("3")})
    lease_token: int = Field(default=0, sa_column=_big(0))
    lease_expires_at_ms: int = Field(default=0, sa_column=_big(0))
    next_attempt_at_ms: int = Field(default=0, sa_column=_big(0))
    created_at_ms: int = Field(default=0, sa_column=_big(0))
    retry_of_task: str | None = None
    objective_id: str | None = None
    objective_run_id: str | None = None
    cancel_reason: str | None = None
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    # the whole output (a turn's reply); result_summary is a cut of it
    result_text: str | None = None
    # a cancel of the running task was asked; its worker stops it, then it is canceled
    cancel_requested_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    # a turn whose reply was asked for later (DeliverTurnReply): where it goes
    reply_connector: str | None = None
    reply_chat_id: str | None = None


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letters"
    __table_args__ = (Index("idx_dead_letters_created", "created_at_unix"),)
    id: str = Field(primary_key=True)
    subject_kind: str
    subject_id: str
    workspace_id: str | None = None
    last_error: str
    attempts: int
    created_at_unix: int = Field(sa_column=_big())
    replayed_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    # the task its replay created (the dead task stays dead)
    replayed_as: str | None = None


class Objective(SQLModel, table=True):
    __tablename__ = "objectives"
    __table_args__ = (
        Index("idx_objectives_due", "active", "trigger_type", "next_run_unix"),
        Index("idx_objectives_seq", "workspace_id", "seq"),
        Index("idx_objectives_idempotency", "idempotency_key", unique=True),
    )
    id: str = Field(primary_key=True)
    workspace_id: str
    context_id: str
    title: str
    prompt: str
    trigger_type: str
    event_key: str | None = None
    cron_expr: str | None = None
    timezone: str = Field(default="UTC", sa_column_kwargs={"server_default": "UTC"})
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sql("true")})
    next_run_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    last_run_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    last_error: str | None = None
    run_count: int = Field(default=0, sa_column=_big(0))
    success_count: int = Field(default=0, sa_column=_big(0))
    failure_count: int = Field(default=0, sa_column=_big(0))
    consecutive_failures: int = Field(default=0, sa_column=_big(0))
    consecutive_successes: int = Field(default=0, sa_column=_big(0))
    total_run_duration_ms: int = Field(default=0, sa_column=_big(0))
    last_success_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    last_failure_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    auto_paused_reason: str | None = None
    recent_errors_json: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())
    run_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    overlap_policy: str = Field(default="skip", sa_column_kwargs={"server_default": "skip"})
    catchup_window_seconds: int = Field(default=0, sa_column=_big(0))
    max_consecutive_failures: int = Field(default=0, sa_column_kwargs={"server_default": sql("0")})
    failure_backoff_seconds: int = Field(default=0, sa_column=_big(0))
    failure_backoff_max_seconds: int = Field(default=0, sa_column=_big(0))
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    # the creator's key: a repeated create with it returns this objective
    idempotency_key: str | None = None


class ObjectiveRun(SQLModel, table=True):
    __tablename__ = "objective_runs"
    __table_args__ = (
        Index("idx_objective_runs_objective", "objective_id", "started_at_unix"),
        Index("idx_objective_runs_seq", "objective_id", "seq"),
        Index("idx_objective_runs_open", "outcome", "seq"),
        Index("idx_objective_runs_task", "task_id"),
        Index("idx_objective_runs_run_key", "run_key", unique=True),
    )
    id: str = Field(primary_key=True)
    objective_id: str  # no foreign key: a run outlives its deleted objective
    scheduled_for_unix: int = Field(default=0, sa_column=_big(0))
    started_at_unix: int = Field(sa_column=_big())
    outcome: str
    task_id: str | None = None
    error: str | None = None
    duration_ms: int = Field(default=0, sa_column=_big(0))
    trigger: str = Field(default="schedule", sa_column_kwargs={"server_default": "schedule"})
    finished_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    event_key: str | None = None
    event_id: str | None = None
    # record time; started_at_unix is its task's start when the scheduler gives one
    created_at_unix: int = Field(default=0, sa_column=_big(0))
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    # the firing's run key (its task's): a run reserved before its task exists is found by it
    run_key: str | None = None


class ActionApproval(SQLModel, table=True):
    __tablename__ = "action_approvals"
    __table_args__ = (
        Index("idx_action_approvals_status", "status", "created_at_unix"),
        Index("idx_action_approvals_idempotency", "idempotency_key", unique=True),
    )
    id: str = Field(primary_key=True)
    workspace_id: str
    context_id: str
    connector: str
    external_id: str
    requester_user_id: str
    action_type: str
    action_target: str | None = None
    action_summary: str | None = None
    payload_json: str
    status: str
    approver_user_id: str | None = None
    denied_reason: str | None = None
    execution_status: str = Field(
        default="not_executed", sa_column_kwargs={"server_default": "not_executed"}
    )
    execution_message: str | None = None
    executor_plugin: str | None = None
    executed_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())
    expires_at_unix: int = Field(default=0, sa_column=_big(0))
    task_id: str | None = None
    # the caller's key (CreateApproval is idempotent by it); NULL when none was given
    idempotency_key: str | None = None
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))


class SensitiveGrant(SQLModel, table=True):
    """A context's standing grant for the agent's sensitive tools (one per context)."""

    __tablename__ = "sensitive_grants"
    workspace_id: str = Field(primary_key=True)
    context_id: str = Field(primary_key=True)
    granted_by: str
    created_at_unix: int = Field(sa_column=_big())
    expires_at_unix: int = Field(sa_column=_big())
