"""Slip archive and tracking code pool (issue 3); the sender's optional email

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: SQLite's batch mode rebuilds the table and
# would drop its no-delete trigger.


def upgrade() -> None:
    op.create_table(
        "issued_slip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("tracking_code", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("layout", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("copy_of_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_of_id"], ["issued_slip.id"], name=op.f("fk_issued_slip_copy_of_id_issued_slip")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_issued_slip_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"], ["user.id"], name=op.f("fk_issued_slip_issued_by_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_slip")),
    )
    for column in ("copy_of_id", "dossier_id", "kind", "sha256", "tracking_code"):
        op.create_index(op.f(f"ix_issued_slip_{column}"), "issued_slip", [column], unique=False)
    op.create_table(
        "code_reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reserved_at", sa.DateTime(), nullable=False),
        sa.Column("used_by_item_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["used_by_item_id"], ["item.id"], name=op.f("fk_code_reservation_used_by_item_id_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_reservation")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_code_reservation_tracking_code")),
    )
    op.create_index(
        op.f("ix_code_reservation_batch"), "code_reservation", ["batch"], unique=False
    )
    _guards(create=True)
    op.add_column(
        "dossier",
        sa.Column(
            "sender_email",
            sqlmodel.sql.sqltypes.AutoString(length=254),
            nullable=False,
            server_default="",
        ),
    )


def downgrade() -> None:
    op.drop_column("dossier", "sender_email")
    _guards(create=False)
    op.drop_index(op.f("ix_code_reservation_batch"), table_name="code_reservation")
    op.drop_table("code_reservation")
    for column in ("copy_of_id", "dossier_id", "kind", "sha256", "tracking_code"):
        op.drop_index(op.f(f"ix_issued_slip_{column}"), table_name="issued_slip")
    op.drop_table("issued_slip")


def _guards(*, create: bool) -> None:
    """Archived slips and reserved codes are never deleted."""
    pg = op.get_bind().dialect.name == "postgresql"
    for table in ("issued_slip", "code_reservation"):
        if not create:
            op.execute(f"DROP TRIGGER {table}_no_delete" + (f" ON {table}" if pg else ""))
        elif pg:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: nothing is hard-deleted'); END"
            )
