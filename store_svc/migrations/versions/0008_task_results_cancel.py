"""Tasks run: the whole output of a task (result_text), a cooperative cancel mark on running
tasks (cancel_requested_at_unix), and an index for the one-turn-per-context claim rule.

Revision ID: 0008_task_results_cancel
Revises: 0007_approval_tasks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_task_results_cancel"
down_revision = "0007_approval_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_text", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("cancel_requested_at_unix", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "idx_tasks_context_kind", ["context_id", "kind", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("idx_tasks_context_kind")
        batch_op.drop_column("cancel_requested_at_unix")
        batch_op.drop_column("result_text")
