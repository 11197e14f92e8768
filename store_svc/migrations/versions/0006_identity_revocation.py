"""Identity revocation keeps the row: status (active/revoked), revoke time and reason. The
account stays unique among active identities only (a partial unique index), so a revoked
account can be linked again as a fresh identity.

Revision ID: 0006_identity_revocation
Revises: 0005_run_record_time
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_identity_revocation"
down_revision = "0005_run_record_time"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'active'")
# The 0001 unique constraint has no name: SQLite names it through the batch naming
# convention while the table is copied; PostgreSQL gave it its default name.
_UQ_NAMING = "uq_%(table_name)s_%(column_0_name)s"
_UQ_SQLITE = "uq_identities_connector"
_UQ_POSTGRES = "identities_connector_connector_user_id_key"


def upgrade() -> None:
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("revoked_at_unix", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("revoke_reason", sa.String(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "identities", recreate="always", naming_convention={"uq": _UQ_NAMING}
        ) as batch_op:
            batch_op.drop_constraint(_UQ_SQLITE, type_="unique")
    else:
        op.drop_constraint(_UQ_POSTGRES, "identities", type_="unique")
    op.create_index(
        "uq_identities_active_account",
        "identities",
        ["connector", "connector_user_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    op.execute("DELETE FROM identities WHERE status <> 'active'")
    op.drop_index("uq_identities_active_account", table_name="identities")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_unique_constraint(_UQ_POSTGRES, ["connector", "connector_user_id"])
        for name in ("revoke_reason", "revoked_at_unix", "status"):
            batch_op.drop_column(name)
