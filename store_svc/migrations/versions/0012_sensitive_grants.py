"""Sensitive-tool grants per context (GrantService), persisted instead of in memory.

Revision ID: 0012_sensitive_grants
Revises: 0011_approval_idempotency
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_sensitive_grants"
down_revision = "0011_approval_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensitive_grants",
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("context_id", sa.String(), nullable=False),
        sa.Column("granted_by", sa.String(), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "context_id"),
    )


def downgrade() -> None:
    op.drop_table("sensitive_grants")
