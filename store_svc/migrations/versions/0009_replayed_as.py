"""Dead-letter replay creates a new task and keeps the dead one: the dead letter names the
task created by its replay (replayed_as).

Revision ID: 0009_replayed_as
Revises: 0008_task_results_cancel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_replayed_as"
down_revision = "0008_task_results_cancel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replayed_as", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dead_letters", schema=None) as batch_op:
        batch_op.drop_column("replayed_as")
