"""Creation order: a `seq` column (common.next_seq) on every listed table, so rows made in
the same second list in the order they were made. Existing rows get their creation time in
microseconds (tasks: from created_at_ms); ties among them keep the id order.

Revision ID: 0004_creation_order
Revises: 0003_objectives_tasks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_creation_order"
down_revision = "0003_objectives_tasks"
branch_labels = None
depends_on = None

# table → the backfill of `seq` for rows made before this revision
_BACKFILL = {
    "workspaces": "created_at_unix * 1000000",
    "contexts": "created_at_unix * 1000000",
    "identities": "created_at_unix * 1000000",
    "pairing_requests": "created_at_unix * 1000000",
    "tasks": "CASE WHEN created_at_ms > 0 THEN created_at_ms * 1000"
    " ELSE created_at_unix * 1000000 END",
    "dead_letters": "created_at_unix * 1000000",
    "objectives": "created_at_unix * 1000000",
    "objective_runs": "started_at_unix * 1000000",
    "action_approvals": "created_at_unix * 1000000",
    "agent_audit_events": "created_at_unix * 1000000",
    "deliveries": "created_at_unix * 1000000",
    "audit_log": "created_at_unix * 1000000",
}
_INDEXES = (
    ("idx_objectives_seq", "objectives", ["workspace_id", "seq"]),
    ("idx_objective_runs_seq", "objective_runs", ["objective_id", "seq"]),
    ("idx_audit_log_seq", "audit_log", ["seq"]),
)


def upgrade() -> None:
    for table, backfill in _BACKFILL.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
            )
        op.execute(f"UPDATE {table} SET seq = {backfill}")
    for name, table, cols in _INDEXES:
        op.create_index(name, table, cols, unique=False)


def downgrade() -> None:
    for name, table, _cols in _INDEXES:
        op.drop_index(name, table_name=table)
    for table in _BACKFILL:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("seq")
