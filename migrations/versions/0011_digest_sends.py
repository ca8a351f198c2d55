"""users: e-mail address; correction_digest_sends: one reminder digest per recipient and day

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 04:00:00

`users.email` (nullable: an account without one gets no digest) is where the daily
corrections digest goes (issue 11, part 6). `correction_digest_sends` records each digest
before it is sent; its unique (recipient, day) is what keeps two cron runs that race from
both sending: the second insert fails and that run skips the recipient.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch rebuild): on SQLite, rebuilding `users` fails with the
    # foreign keys of every table that names its rows (see 0010).
    op.add_column('users', sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('correction_digest_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('unit', 'reviewer')", name=op.f('ck_correction_digest_sends_kind')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'],
                            name=op.f('fk_correction_digest_sends_org_unit_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_digest_sends')),
    sa.UniqueConstraint('recipient', 'day', name=op.f('uq_correction_digest_sends_recipient_day')),
    )


def downgrade():
    op.drop_table('correction_digest_sends')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE users DROP COLUMN email')  # native (SQLite 3.35+), no rebuild
    else:
        op.drop_column('users', 'email')
