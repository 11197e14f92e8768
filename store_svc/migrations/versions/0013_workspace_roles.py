"""Roles per workspace: a user can be admin of some workspaces and member elsewhere.

Revision ID: 0013_workspace_roles
Revises: 0012_sensitive_grants
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_workspace_roles"
down_revision = "0012_sensitive_grants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace_roles",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("workspace_roles")
