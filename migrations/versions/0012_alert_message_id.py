"""Alerts keep their text as a message id and parameters, translated when
shown (issue 10), and the custody event that closed them when their cause went
away. Columns added in place; alerts raised before keep showing ``message``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_alert_resolution_closed_by_event_id_custody_event"


def upgrade() -> None:
    op.add_column("alert", sa.Column("message_id", sa.String(length=300), nullable=True))
    op.add_column("alert", sa.Column("params", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE alert_resolution ADD COLUMN closed_by_event_id INTEGER "
            f"CONSTRAINT {FK} REFERENCES custody_event (id)"
        )
        return
    op.add_column(
        "alert_resolution",
        sa.Column(
            "closed_by_event_id",
            sa.Integer(),
            sa.ForeignKey("custody_event.id", name=op.f(FK)),
            nullable=True,
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(FK), "alert_resolution", type_="foreignkey")
    op.drop_column("alert_resolution", "closed_by_event_id")
    op.drop_column("alert", "params")
    op.drop_column("alert", "message_id")
