"""Where the reply of a turn that outlived the gateway's wait goes: set by DeliverTurnReply,
read by the transaction that finishes the turn.

Revision ID: 0014_turn_reply_target
Revises: 0013_workspace_roles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_turn_reply_target"
down_revision = "0013_workspace_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("reply_connector", sa.String(), nullable=True))
        batch.add_column(sa.Column("reply_chat_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("reply_chat_id")
        batch.drop_column("reply_connector")
