"""Agency: appointments, results, apology slips (issue 5)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Appointments, results and apology slips are history: never deleted.
HISTORY = ("appointment", "agency_result", "apology_slip")


def upgrade() -> None:
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('counted_from', sa.Date(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('set_by_user_id', sa.Integer(), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['unit.id'], name=op.f('fk_appointment_agency_id_unit')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_appointment_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['replaces_id'], ['appointment.id'], name=op.f('fk_appointment_replaces_id_appointment')),
    sa.ForeignKeyConstraint(['set_by_user_id'], ['user.id'], name=op.f('fk_appointment_set_by_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    op.create_index(op.f('ix_appointment_agency_id'), 'appointment', ['agency_id'], unique=False)
    op.create_index(op.f('ix_appointment_dossier_id'), 'appointment', ['dossier_id'], unique=False)

    op.create_table('agency_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('permit', 'decision', 'reply', 'refusal', name='resultkind', native_enum=False, length=32), nullable=False),
    sa.Column('document_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_agency_result_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_agency_result_item_id_item')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['user.id'], name=op.f('fk_agency_result_recorded_by_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_result')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_agency_result_dossier_id')),
    sa.UniqueConstraint('item_id', name=op.f('uq_agency_result_item_id'))
    )
    op.create_table('apology_slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('previous_appointment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('issued_by_user_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['unit.id'], name=op.f('fk_apology_slip_agency_id_unit')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_apology_slip_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_apology_slip_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['issued_by_user_id'], ['user.id'], name=op.f('fk_apology_slip_issued_by_user_id_user')),
    sa.ForeignKeyConstraint(['previous_appointment_id'], ['appointment.id'], name=op.f('fk_apology_slip_previous_appointment_id_appointment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apology_slip')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_apology_slip_appointment_id'))
    )
    op.create_index(op.f('ix_apology_slip_agency_id'), 'apology_slip', ['agency_id'], unique=False)
    op.create_index(op.f('ix_apology_slip_dossier_id'), 'apology_slip', ['dossier_id'], unique=False)
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_index(op.f("ix_apology_slip_dossier_id"), table_name="apology_slip")
    op.drop_index(op.f("ix_apology_slip_agency_id"), table_name="apology_slip")
    op.drop_table("apology_slip")
    op.drop_table("agency_result")
    op.drop_index(op.f("ix_appointment_dossier_id"), table_name="appointment")
    op.drop_index(op.f("ix_appointment_agency_id"), table_name="appointment")
    op.drop_table("appointment")


def _create_guards() -> None:
    # refuse_change() is 0001's trigger function on PostgreSQL.
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in HISTORY:
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
    for table in HISTORY:
        if postgres:
            op.execute(f'DROP TRIGGER {table}_no_delete ON "{table}"')
            op.execute(f'DROP TRIGGER {table}_no_truncate ON "{table}"')
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete")
