"""Objective runs keyed by their firing's run key: a run is reserved (recorded queued, its
overlap judged) before its task is enqueued, and the task attached to it after, so two
scheduler replicas firing one `skip` objective at once start one run.

Revision ID: 0019_objective_run_key
Revises: 0018_stream_cursors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_objective_run_key"
down_revision = "0018_stream_cursors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_key", sa.String(), nullable=True))
        batch_op.create_index("idx_objective_runs_run_key", ["run_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.drop_index("idx_objective_runs_run_key")
        batch_op.drop_column("run_key")
