"""conclusion notices (Thông báo kết quả kiểm tra), their content frozen as issued

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:00:00

One notice per inspected unit and inspection plan, under a document number unique within
the issuing body (the plan's unit); the content is a JSON copy of what was issued.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('conclusion_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('issuer_unit_id', sa.Integer(), nullable=False),
    sa.Column('document_number', sa.String(length=60), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conclusion_notices_created_by_id_users')),
    sa.ForeignKeyConstraint(['issuer_unit_id'], ['org_units.id'], name=op.f('fk_conclusion_notices_issuer_unit_id_org_units')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_conclusion_notices_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_conclusion_notices_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conclusion_notices')),
    sa.UniqueConstraint('issuer_unit_id', 'document_number', name=op.f('uq_conclusion_notices_issuer_unit_id_document_number')),
    sa.UniqueConstraint('plan_id', 'org_unit_id', name=op.f('uq_conclusion_notices_plan_id_org_unit_id'))
    )
    with op.batch_alter_table('conclusion_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conclusion_notices_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conclusion_notices_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('conclusion_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conclusion_notices_plan_id'))
        batch_op.drop_index(batch_op.f('ix_conclusion_notices_org_unit_id'))
    op.drop_table('conclusion_notices')
