"""Drop the custody event's answer_status: the ledger stores no HTTP status

The status was 409 for a conflict and 201 for every other event, so it says
nothing the event's kind does not; the hash chain derives the same number from
the kind (see custody/chain.py), so every chain already written still verifies.
Dropping a column is DDL, which the append-only triggers (UPDATE, DELETE,
TRUNCATE) do not concern.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE custody_event DROP COLUMN answer_status")


def downgrade() -> None:
    # The old column defaults to 201; a conflict event would then hash with the
    # wrong status, and events cannot be updated to set 409. Refuse rather than
    # leave chains that no longer verify.
    conflicts = op.get_bind().execute(
        sa.text("SELECT count(*) FROM custody_event WHERE kind = 'conflict'")
    ).scalar_one()
    if conflicts:
        raise RuntimeError(
            f"{conflicts} conflict events would verify wrongly with the old answer_status "
            "column: restore a backup taken before revision 0011 instead."
        )
    op.execute(
        "ALTER TABLE custody_event ADD COLUMN answer_status INTEGER NOT NULL DEFAULT 201"
    )
