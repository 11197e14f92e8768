"""An index of objective runs by task: recording a run looks up the run of its task first
(one run per task, also when the same firing is recorded twice at once).

Revision ID: 0017_objective_run_task
Revises: 0016_imap_reply_targets
"""

from __future__ import annotations

from alembic import op

revision = "0017_objective_run_task"
down_revision = "0016_imap_reply_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.create_index("idx_objective_runs_task", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.drop_index("idx_objective_runs_task")
