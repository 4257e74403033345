"""Drop the custody event's index on item_id alone

The unique index on (item_id, seq) already serves every lookup by item_id (its
leading column), so the single-column index only cost a second insert into a
B-tree with every event recorded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_custody_event_item_id"), table_name="custody_event")


def downgrade() -> None:
    op.create_index(op.f("ix_custody_event_item_id"), "custody_event", ["item_id"])
