"""Fenced, monotonic stream cursors (`stream_cursors.sequence`) and one lock row per
connector account that starts pairings (`pairing_starters`), so concurrent starts cannot
both pass the rate limit.

Revision ID: 0020_fenced_cursors
Revises: 0019_objective_run_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_fenced_cursors"
down_revision = "0019_objective_run_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stream_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.BigInteger(), nullable=True))
    op.create_table(
        "pairing_starters",
        sa.Column("connector", sa.String(), primary_key=True),
        sa.Column("connector_user_id", sa.String(), primary_key=True),
        sa.Column("last_start_unix", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pairing_starters")
    with op.batch_alter_table("stream_cursors", schema=None) as batch_op:
        batch_op.drop_column("sequence")
