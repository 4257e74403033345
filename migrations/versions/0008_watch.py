"""Watchdogs and alerts (issue 5)

A watchdog's finding key on ``alert`` (unique: one alert per finding, however
often the watchdog runs), and ``alert_resolution``, why each alert was closed,
which refuses DELETE (and TRUNCATE on PostgreSQL). Plain add_column and
create_table, never batch mode (it would rebuild ``alert`` and drop nothing
visible but any trigger on it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "alert",
        sa.Column("finding_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.create_index(op.f("ix_alert_finding_key"), "alert", ["finding_key"], unique=True)
    op.create_table(
        "alert_resolution",
        sa.Column("resolved_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_resolution_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_user_id"],
            ["user.id"],
            name=op.f("fk_alert_resolution_resolved_by_user_id_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_resolution")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_alert_resolution_alert_id")),
    )
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_table("alert_resolution")
    op.drop_index(op.f("ix_alert_finding_key"), table_name="alert")
    # SQLite >= 3.35 drops a column in place (no table rebuild, triggers kept).
    op.drop_column("alert", "finding_key")


NO_DELETE = ("alert_resolution",)


def _create_guards() -> None:
    # refuse_change() is 0001's trigger function on PostgreSQL.
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in NO_DELETE:
        if postgres:
            op.execute(
                f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )
            op.execute(
                f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
            )
        else:
            op.execute(
                f'CREATE TRIGGER {table}_no_delete BEFORE DELETE ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: nothing is hard-deleted'); END"
            )


def _drop_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in NO_DELETE:
        if postgres:
            op.execute(f'DROP TRIGGER {table}_no_delete ON "{table}"')
            op.execute(f'DROP TRIGGER {table}_no_truncate ON "{table}"')
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete")
