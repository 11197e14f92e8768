"""Task provenance (retry_of_task, objective_id, objective_run_id, cancel_reason);
objective triggers `at` and run policies; objective run lifecycle; runs outlive a deleted
objective (no foreign key).

Revision ID: 0003_objectives_tasks
Revises: 0002_queue_ledgers
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_objectives_tasks"
down_revision = "0002_queue_ledgers"
branch_labels = None
depends_on = None


def _big(name: str, default: int | None = 0) -> sa.Column[int]:
    if default is None:
        return sa.Column(name, sa.BigInteger(), nullable=True)
    return sa.Column(name, sa.BigInteger(), server_default=sa.text(str(default)), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        for name in ("retry_of_task", "objective_id", "objective_run_id", "cancel_reason"):
            batch_op.add_column(sa.Column(name, sa.String(), nullable=True))
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.add_column(_big("run_at_unix", None))
        batch_op.add_column(
            sa.Column("overlap_policy", sa.String(), server_default="skip", nullable=False)
        )
        batch_op.add_column(_big("catchup_window_seconds"))
        batch_op.add_column(
            sa.Column(
                "max_consecutive_failures",
                sa.Integer(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
        batch_op.add_column(_big("failure_backoff_seconds"))
        batch_op.add_column(_big("failure_backoff_max_seconds"))
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trigger", sa.String(), server_default="schedule", nullable=False)
        )
        batch_op.add_column(_big("finished_at_unix", None))
        batch_op.add_column(sa.Column("event_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("event_id", sa.String(), nullable=True))
    # The 0002 foreign key has no name: SQLite names it through the batch naming convention
    # while the table is copied; PostgreSQL gave it its default name.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "objective_runs", recreate="always", naming_convention={"fk": _FK_NAMING}
        ) as batch_op:
            batch_op.drop_constraint(_FK_SQLITE, type_="foreignkey")
    else:
        op.drop_constraint(_FK_POSTGRES, "objective_runs", type_="foreignkey")


_FK_NAMING = "fk_%(table_name)s_%(column_0_name)s"
_FK_SQLITE = "fk_objective_runs_objective_id"
_FK_POSTGRES = "objective_runs_objective_id_fkey"


def downgrade() -> None:
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        batch_op.create_foreign_key(
            _FK_POSTGRES, "objectives", ["objective_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("objective_runs", schema=None) as batch_op:
        for name in ("event_id", "event_key", "finished_at_unix", "trigger"):
            batch_op.drop_column(name)
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        for name in (
            "failure_backoff_max_seconds",
            "failure_backoff_seconds",
            "max_consecutive_failures",
            "catchup_window_seconds",
            "overlap_policy",
            "run_at_unix",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        for name in ("cancel_reason", "objective_run_id", "objective_id", "retry_of_task"):
            batch_op.drop_column(name)
