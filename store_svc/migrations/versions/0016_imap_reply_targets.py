"""Whom a reply to an e-mail context goes to: the ingestion's mailbox, reply address and
subject, found by FindImapIngestion.

Revision ID: 0016_imap_reply_targets
Revises: 0015_delivery_ledger_v2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_imap_reply_targets"
down_revision = "0015_delivery_ledger_v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imap_ingestions") as batch:
        batch.add_column(sa.Column("mailbox_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("reply_address", sa.String(), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(), nullable=True))
    # rows written before had the mailbox as their account key
    op.execute("UPDATE imap_ingestions SET mailbox_key = account_key")
    op.create_index(
        "idx_imap_ingestions_mailbox", "imap_ingestions", ["mailbox_key", "created_at_unix"]
    )


def downgrade() -> None:
    op.drop_index("idx_imap_ingestions_mailbox", table_name="imap_ingestions")
    with op.batch_alter_table("imap_ingestions") as batch:
        batch.drop_column("subject")
        batch.drop_column("reply_address")
        batch.drop_column("mailbox_key")
