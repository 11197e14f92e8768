"""A delivery's reply route: how the connector answers the message it replies to (Discord:
the slash command's interaction and its token), so a reply still goes through the interaction
after a connectors restart.

Revision ID: 0021_delivery_reply_route
Revises: 0020_fenced_cursors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_delivery_reply_route"
down_revision = "0020_fenced_cursors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_route", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("reply_route")
