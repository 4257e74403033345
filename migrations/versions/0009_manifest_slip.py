"""The manifest's handover slip, archived when the bag is offered (issue 3)

``manifest.slip_id`` names the ``issued_slip`` row. A column added in place
(on SQLite with its REFERENCES clause inline), never batch mode, which would
rebuild the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Alembic would add the foreign key as a separate ALTER, which SQLite
        # lacks; SQLite takes it inline with the new column.
        op.execute(
            "ALTER TABLE manifest ADD COLUMN slip_id INTEGER "
            "CONSTRAINT fk_manifest_slip_id_issued_slip REFERENCES issued_slip (id)"
        )
        return
    op.add_column(
        "manifest",
        sa.Column(
            "slip_id",
            sa.Integer(),
            sa.ForeignKey("issued_slip.id", name=op.f("fk_manifest_slip_id_issued_slip")),
            nullable=True,
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_manifest_slip_id_issued_slip"), "manifest", type_="foreignkey")
    op.drop_column("manifest", "slip_id")
