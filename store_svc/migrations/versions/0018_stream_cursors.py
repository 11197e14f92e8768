"""Named positions in outside streams (CursorService): a Telegram bot's update offset.

Revision ID: 0018_stream_cursors
Revises: 0017_objective_run_task
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_stream_cursors"
down_revision = "0017_objective_run_task"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_cursors",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stream_cursors")
