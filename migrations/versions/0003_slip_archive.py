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
