"""Manifests: bags of items handed over together (issue 4)

Nothing is deleted: manifest and manifest_line refuse DELETE (and TRUNCATE on
PostgreSQL); manifest_check, the reconciliation as received, is append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NO_DELETE = ("manifest", "manifest_line")
APPEND_ONLY = "manifest_check"


def upgrade() -> None:
    op.create_table('manifest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sa.Enum('open', 'offered', 'received', name='manifeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('giver_user_id', sa.Integer(), nullable=False),
    sa.Column('giver_unit_id', sa.Integer(), nullable=True),
    sa.Column('receiver_user_id', sa.Integer(), nullable=True),
    sa.Column('receiver_unit_id', sa.Integer(), nullable=True),
    sa.Column('receiver_is_agency', sa.Boolean(), nullable=False),
    sa.Column('create_client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('offer_client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('receipt_client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('receipt_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('offered_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('received_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['giver_unit_id'], ['unit.id'], name=op.f('fk_manifest_giver_unit_id_unit')),
    sa.ForeignKeyConstraint(['giver_user_id'], ['user.id'], name=op.f('fk_manifest_giver_user_id_user')),
    sa.ForeignKeyConstraint(['received_by_user_id'], ['user.id'], name=op.f('fk_manifest_received_by_user_id_user')),
    sa.ForeignKeyConstraint(['receiver_unit_id'], ['unit.id'], name=op.f('fk_manifest_receiver_unit_id_unit')),
    sa.ForeignKeyConstraint(['receiver_user_id'], ['user.id'], name=op.f('fk_manifest_receiver_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest')),
    sa.UniqueConstraint('create_client_id', name=op.f('uq_manifest_create_client_id')),
    sa.UniqueConstraint('offer_client_id', name=op.f('uq_manifest_offer_client_id')),
    sa.UniqueConstraint('receipt_client_id', name=op.f('uq_manifest_receipt_client_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_manifest_reference'))
    )
    op.create_index(op.f('ix_manifest_giver_unit_id'), 'manifest', ['giver_unit_id'], unique=False)
    op.create_index(op.f('ix_manifest_giver_user_id'), 'manifest', ['giver_user_id'], unique=False)
    op.create_index(op.f('ix_manifest_receiver_unit_id'), 'manifest', ['receiver_unit_id'], unique=False)
    op.create_index(op.f('ix_manifest_receiver_user_id'), 'manifest', ['receiver_user_id'], unique=False)
    op.create_index(op.f('ix_manifest_status'), 'manifest', ['status'], unique=False)

    op.create_table('manifest_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('confirmed', 'missing', 'extra', 'conflict', name='outcome', native_enum=False, length=32), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['custody_event.id'], name=op.f('fk_manifest_check_event_id_custody_event')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_manifest_check_item_id_item')),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifest.id'], name=op.f('fk_manifest_check_manifest_id_manifest')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest_check')),
    sa.UniqueConstraint('manifest_id', 'tracking_code', name=op.f('uq_manifest_check_manifest_id_tracking_code'))
    )
    op.create_index(op.f('ix_manifest_check_item_id'), 'manifest_check', ['item_id'], unique=False)
    op.create_index(op.f('ix_manifest_check_manifest_id'), 'manifest_check', ['manifest_id'], unique=False)

    op.create_table('manifest_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('offer_event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_manifest_line_item_id_item')),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifest.id'], name=op.f('fk_manifest_line_manifest_id_manifest')),
    sa.ForeignKeyConstraint(['offer_event_id'], ['custody_event.id'], name=op.f('fk_manifest_line_offer_event_id_custody_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifest_line'))
    )
    op.create_index(op.f('ix_manifest_line_item_id'), 'manifest_line', ['item_id'], unique=False)
    op.create_index(op.f('ix_manifest_line_manifest_id'), 'manifest_line', ['manifest_id'], unique=False)
    _create_guards()


def _create_guards() -> None:
    # refuse_change() is the PostgreSQL trigger function made by 0001.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {APPEND_ONLY}_append_only BEFORE UPDATE OR DELETE ON {APPEND_ONLY} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        for table in NO_DELETE:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )
        for table in (*NO_DELETE, APPEND_ONLY):
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
            )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {APPEND_ONLY}_no_{action.lower()} BEFORE {action} ON {APPEND_ONLY} "
                f"BEGIN SELECT RAISE(ABORT, '{action} on {APPEND_ONLY} refused: "
                "this table is append-only'); END"
            )
        for table in NO_DELETE:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: nothing is hard-deleted'); END"
            )


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {APPEND_ONLY}_append_only ON {APPEND_ONLY}")
        op.execute(f"DROP TRIGGER {APPEND_ONLY}_no_truncate ON {APPEND_ONLY}")
        for table in NO_DELETE:
            op.execute(f"DROP TRIGGER {table}_no_delete ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    else:
        op.execute(f"DROP TRIGGER {APPEND_ONLY}_no_update")
        op.execute(f"DROP TRIGGER {APPEND_ONLY}_no_delete")
        for table in NO_DELETE:
            op.execute(f"DROP TRIGGER {table}_no_delete")


def downgrade() -> None:
    _drop_guards()
    op.drop_table('manifest_line')
    op.drop_table('manifest_check')
    op.drop_table('manifest')
