"""Notification outbox (issue 5)

Rows are the record of what each citizen was told: outbox_message refuses
DELETE (and TRUNCATE on PostgreSQL); the relay only updates their delivery
state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('medium', sa.Enum('email', 'sms', name='medium', native_enum=False, length=32), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_outbox_message_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('medium', 'dedupe_key', name=op.f('uq_outbox_message_medium_dedupe_key'))
    )
    op.create_index(op.f('ix_outbox_message_dossier_id'), 'outbox_message', ['dossier_id'], unique=False)
    op.create_index('ix_outbox_message_due', 'outbox_message', ['status', 'next_attempt_at'], unique=False)
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    op.drop_index('ix_outbox_message_due', table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_dossier_id'), table_name='outbox_message')
    op.drop_table('outbox_message')


def _create_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # refuse_change() comes from 0001.
        op.execute(
            "CREATE TRIGGER outbox_message_no_delete BEFORE DELETE ON outbox_message "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER outbox_message_no_truncate BEFORE TRUNCATE ON outbox_message "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
    else:
        op.execute(
            "CREATE TRIGGER outbox_message_no_delete BEFORE DELETE ON outbox_message "
            "BEGIN SELECT RAISE(ABORT, 'DELETE on outbox_message refused: nothing is hard-deleted'); END"
        )


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_message_no_delete ON outbox_message")
        op.execute("DROP TRIGGER outbox_message_no_truncate ON outbox_message")
    else:
        op.execute("DROP TRIGGER outbox_message_no_delete")
