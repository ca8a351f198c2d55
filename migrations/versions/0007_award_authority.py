"""frozen list entries: who awards the proposed award

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:15:00

Adds `frozen_list_entries.award_authority` ("Chủ tịch UBND xã Tân Trào", "Giám đốc Sở Tư
pháp"): a proposed Giấy khen names who awards it (shared/domain/LISTS.md, issue 9). Lists
frozen before this revision keep NULL: what was signed is not rewritten.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('frozen_list_entries') as batch_op:
        batch_op.add_column(sa.Column('award_authority', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('frozen_list_entries') as batch_op:
        batch_op.drop_column('award_authority')
