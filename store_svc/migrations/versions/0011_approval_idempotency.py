"""Approvals created once: CreateApproval's idempotency key, unique (NULL when none).

Revision ID: 0011_approval_idempotency
Revises: 0010_objective_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_approval_idempotency"
down_revision = "0010_objective_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(), nullable=True))
        batch_op.create_index("idx_action_approvals_idempotency", ["idempotency_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("action_approvals", schema=None) as batch_op:
        batch_op.drop_index("idx_action_approvals_idempotency")
        batch_op.drop_column("idempotency_key")
