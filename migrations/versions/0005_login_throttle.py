"""login throttle counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

The embedded default keeps its login-throttling counters in the database, so that every
worker process counts the same attempts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_counters',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_counters'))
    )
    with op.batch_alter_table('login_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_counters_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_counters_expires_at'))

    op.drop_table('login_counters')
