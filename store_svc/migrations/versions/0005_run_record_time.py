"""An objective run's record time (created_at_unix) apart from its task's start time
(started_at_unix, which the scheduler may now give); existing runs were stamped once, so
both take the stored start.

Revision ID: 0005_run_record_time
Revises: 0004_creation_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_record_time"
down_revision = "0004_creation_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "created_at_unix", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
    op.execute("UPDATE objective_runs SET created_at_unix = started_at_unix")


def downgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.drop_column("created_at_unix")
