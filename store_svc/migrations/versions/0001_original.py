"""The original agent-runtime tables (REFERENCE.md §5.2), with unix-second times.

Revision ID: 0001_original
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_original"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("owner_user_id", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "contexts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("system_prompt", sa.String(), server_default="", nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "connector", "external_id"),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("connector_user_id", sa.String(), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connector", "connector_user_id"),
    )
    op.create_table(
        "pairing_requests",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("token_hint", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("connector_user_id", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("expires_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("approved_user_id", sa.String(), nullable=True),
        sa.Column("approver_user_id", sa.String(), nullable=True),
        sa.Column("denied_reason", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("run_key", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("route_class", sa.String(), nullable=True),
        sa.Column("priority", sa.String(), nullable=True),
        sa.Column("due_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("assigned_lane", sa.String(), nullable=True),
        sa.Column("source_connector", sa.String(), nullable=True),
        sa.Column("source_external_id", sa.String(), nullable=True),
        sa.Column("source_user_id", sa.String(), nullable=True),
        sa.Column("source_text", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=True),
        sa.Column("started_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("finished_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("result_summary", sa.String(), nullable=True),
        sa.Column("result_path", sa.String(), nullable=True),
        sa.Column("error_message", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("idx_tasks_run_key", ["run_key"], unique=True)
    op.create_table(
        "action_approvals",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("requester_user_id", sa.String(), nullable=False),
        sa.Column("action_type", sa.String(), nullable=False),
        sa.Column("action_target", sa.String(), nullable=True),
        sa.Column("action_summary", sa.String(), nullable=True),
        sa.Column("payload_json", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("approver_user_id", sa.String(), nullable=True),
        sa.Column("denied_reason", sa.String(), nullable=True),
        sa.Column("execution_status", sa.String(), server_default="not_executed", nullable=False),
        sa.Column("execution_message", sa.String(), nullable=True),
        sa.Column("executor_plugin", sa.String(), nullable=True),
        sa.Column("executed_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "objectives",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("trigger_type", sa.String(), nullable=False),
        sa.Column("event_key", sa.String(), nullable=True),
        sa.Column("cron_expr", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(), server_default="UTC", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("next_run_unix", sa.BigInteger(), nullable=True),
        sa.Column("last_run_unix", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("run_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("success_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("failure_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "consecutive_failures", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "consecutive_successes", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "total_run_duration_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("last_success_unix", sa.BigInteger(), nullable=True),
        sa.Column("last_failure_unix", sa.BigInteger(), nullable=True),
        sa.Column("auto_paused_reason", sa.String(), nullable=True),
        sa.Column("recent_errors_json", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "imap_ingestions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("account_key", sa.String(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("file_path", sa.String(), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_key", "message_id"),
        sa.UniqueConstraint("account_key", "uid"),
    )
    op.create_table(
        "agent_audit_events",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("connector", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("source_user_id", sa.String(), nullable=True),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("tool_name", sa.String(), nullable=True),
        sa.Column("tool_class", sa.String(), nullable=True),
        sa.Column("blocked", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("block_reason", sa.String(), nullable=True),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("agent_audit_events")
    op.drop_table("imap_ingestions")
    op.drop_table("objectives")
    op.drop_table("action_approvals")
    op.drop_table("tasks")
    op.drop_table("pairing_requests")
    op.drop_table("identities")
    op.drop_table("contexts")
    op.drop_table("workspaces")
    op.drop_table("users")
