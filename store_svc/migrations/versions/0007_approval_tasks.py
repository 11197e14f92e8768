"""An approval's executing task (task_id, run_key approval:<id>), set once together with
the execution status `queued`.

Revision ID: 0007_approval_tasks
Revises: 0006_identity_revocation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_approval_tasks"
down_revision = "0006_identity_revocation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.drop_column("task_id")
