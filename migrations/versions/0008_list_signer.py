"""frozen lists: who signs the Tờ trình, and to whom it goes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 00:30:00

A list is an attachment of a Tờ trình (shared/domain/LISTS.md, issue 9): freezing it now
records the Tờ trình's signer (name and title, "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"), its
addressee (Kính gửi), its recipients (Nơi nhận) and whether the attachment is signed too.
Lists frozen before this revision keep NULL: they were signed by hand, and what was signed
is not rewritten.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('frozen_lists') as batch_op:
        batch_op.add_column(sa.Column('signer_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('signer_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('addressee', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('recipients', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('attachment_signed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('frozen_lists') as batch_op:
        for column in ('attachment_signed', 'recipients', 'addressee', 'signer_title', 'signer_name'):
            batch_op.drop_column(column)
