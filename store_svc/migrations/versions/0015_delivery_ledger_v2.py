"""Delivery ledger v2: deliveries carry their context, reply target, subject, retry time and
a claim lease (one connectors replica delivers a row at a time), each part of a long text is
recorded on its own (a retry resumes after the last part sent); heartbeat components are
kept in the store so every gateway replica reports the same.

Revision ID: 0015_delivery_ledger_v2
Revises: 0014_turn_reply_target
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_delivery_ledger_v2"
down_revision = "0014_turn_reply_target"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        for name in ("workspace_id", "context_id", "reply_to_message_id", "subject"):
            batch.add_column(sa.Column(name, sa.String(), nullable=True))
        batch.add_column(
            sa.Column(
                "next_attempt_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch.add_column(
            sa.Column(
                "lease_expires_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch.create_index(
            "idx_deliveries_due", ["status", "connector", "next_attempt_at_ms"], unique=False
        )
    op.create_table(
        "delivery_parts",
        sa.Column("delivery_id", sa.String(), nullable=False),
        sa.Column("part_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("platform_message_id", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("updated_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "part_index"),
    )
    op.create_table(
        "heartbeat_components",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("last_beat_at_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("stale_after_ms", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("extra_json", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat_components")
    op.drop_table("delivery_parts")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("idx_deliveries_due")
        for name in (
            "lease_expires_at_ms",
            "lease_owner",
            "next_attempt_at_ms",
            "subject",
            "reply_to_message_id",
            "context_id",
            "workspace_id",
        ):
            batch.drop_column(name)
