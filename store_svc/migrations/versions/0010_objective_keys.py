"""Objectives fire: a creation idempotency key on objectives (unique when set) and an index
for the scheduler's look at the open runs of every objective.

Revision ID: 0010_objective_keys
Revises: 0009_replayed_as
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_objective_keys"
down_revision = "0009_replayed_as"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(), nullable=True))
        batch_op.create_index("idx_objectives_idempotency", ["idempotency_key"], unique=True)
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.create_index("idx_objective_runs_open", ["outcome", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.drop_index("idx_objective_runs_open")
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.drop_index("idx_objectives_idempotency")
        batch_op.drop_column("idempotency_key")
