"""A seal number is used once per intake unit: a unique index decides

Two dossiers taken in at the same unit with the same seal number are a mistake
(a seal typed twice, or one dossier saved twice); the index refuses the second
save, even when two saves race.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    taken = op.get_bind().execute(
        sa.text(
            "SELECT intake_unit_id, seal_number FROM dossier "
            "GROUP BY intake_unit_id, seal_number HAVING count(*) > 1"
        )
    ).all()
    if taken:
        listed = ", ".join(f"unit {u}: {s}" for u, s in taken[:20])
        raise RuntimeError(
            f"{len(taken)} seal numbers are used more than once at the same unit ({listed}); "
            "correct those dossiers' seal numbers before this upgrade."
        )
    op.create_index(
        "uq_dossier_intake_unit_seal", "dossier", ["intake_unit_id", "seal_number"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_dossier_intake_unit_seal", table_name="dossier")
