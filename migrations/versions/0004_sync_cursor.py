"""sync cursor: change numbers in commit order, and the exit log for tombstones

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:00:00

Every synced row gets `sync_seq`, the change number of the transaction that last wrote
it; `change_clock` hands those numbers out in commit order. Existing rows start at 0, so
the first pull of every tablet delivers them, and every later change is numbered above.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SYNCED_TABLES = ("org_units", "desks", "staff", "checklist_templates", "inspection_plans", "visits")


def upgrade():
    clock = op.create_table(
        'change_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_clock')),
    )
    op.bulk_insert(clock, [{"id": 1, "seq": 0}])
    op.create_table(
        'sync_exits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('entity_type', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.String(length=40), nullable=False),
        sa.Column('old_path', sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_exits')),
    )
    op.create_index('ix_sync_exits_entity_type_seq', 'sync_exits', ['entity_type', 'seq', 'id'])
    for table in SYNCED_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('sync_seq', sa.BigInteger(), server_default='0', nullable=False))
            batch_op.create_index(f'ix_{table}_sync', ['sync_seq', 'id'])


def downgrade():
    for table in SYNCED_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f'ix_{table}_sync')
            batch_op.drop_column('sync_seq')
    op.drop_index('ix_sync_exits_entity_type_seq', table_name='sync_exits')
    op.drop_table('sync_exits')
    op.drop_table('change_clock')
