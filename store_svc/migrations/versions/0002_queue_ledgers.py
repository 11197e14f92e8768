"""Durable queue (leases, fencing, lanes, retries), ledgers, audit log, leader leases.

Revision ID: 0002_queue_ledgers
Revises: 0001_original
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_queue_ledgers"
down_revision = "0001_original"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(), server_default="task", nullable=False))
        batch_op.add_column(
            sa.Column("lane_rank", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("priority_rank", sa.Integer(), server_default=sa.text("2"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("max_attempts", sa.Integer(), server_default=sa.text("3"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("lease_token", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "lease_expires_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "next_attempt_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("created_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index(
            "idx_tasks_claim",
            ["status", "lane_rank", "priority_rank", "created_at_ms"],
            unique=False,
        )
        batch_op.create_index(
            "idx_tasks_workspace", ["workspace_id", "updated_at_unix"], unique=False
        )
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "expires_at_unix", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch_op.create_index(
            "idx_action_approvals_status", ["status", "created_at_unix"], unique=False
        )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index(
            "idx_objectives_due", ["active", "trigger_type", "next_run_unix"], unique=False
        )
    with op.batch_alter_table("agent_audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "idx_agent_audit_events_ws", ["workspace_id", "created_at_unix"], unique=False
        )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("subject_kind", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("replayed_at_unix", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.create_index("idx_dead_letters_created", ["created_at_unix"], unique=False)
    op.create_table(
        "objective_runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("objective_id", sa.String(), nullable=False),
        sa.Column(
            "scheduled_for_unix", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("started_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("task_id", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["objective_id"], ["objectives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.create_index(
            "idx_objective_runs_objective", ["objective_id", "started_at_unix"], unique=False
        )
    op.create_table(
        "inbound_journal",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("platform_message_id", sa.String(), nullable=False),
        sa.Column("sender_id", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connector", "chat_id", "platform_message_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("chat_id", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("platform_message_id", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("idx_deliveries_status", ["status", "created_at_unix"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject_kind", sa.String(), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=True),
        sa.Column("before_json", sa.String(), nullable=True),
        sa.Column("after_json", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("idx_audit_log_created", ["created_at_unix"], unique=False)
    op.create_table(
        "leader_leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("leader_leases")
    op.drop_table("audit_log")
    op.drop_table("deliveries")
    op.drop_table("inbound_journal")
    op.drop_table("objective_runs")
    op.drop_table("dead_letters")
    with op.batch_alter_table("agent_audit_events", schema=None) as batch_op:
        batch_op.drop_index("idx_agent_audit_events_ws")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index("idx_objectives_due")
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.drop_index("idx_action_approvals_status")
        batch_op.drop_column("expires_at_unix")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("idx_tasks_claim")
        batch_op.drop_index("idx_tasks_workspace")
        batch_op.drop_column("lane")
        batch_op.drop_column("lane_rank")
        batch_op.drop_column("priority_rank")
        batch_op.drop_column("max_attempts")
        batch_op.drop_column("lease_token")
        batch_op.drop_column("lease_expires_at_ms")
        batch_op.drop_column("next_attempt_at_ms")
        batch_op.drop_column("created_at_ms")
