"""desks: latitude and longitude; evidence: index on sha256

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 00:30:00

Adds `desks.latitude` / `desks.longitude` (WGS 84, Numeric(9,6), both or neither, ranges
checked by the database too), so a photo's GPS can be checked against the desk it shows
(issue 10, item 4). Desks created before keep NULL: "place unknown", not a guess.
The index on `evidence.sha256` finds the same photo in other visits with one index scan.
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
    with op.batch_alter_table('desks') as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.create_check_constraint(op.f('ck_desks_latitude'), 'latitude BETWEEN -90 AND 90')
        batch_op.create_check_constraint(op.f('ck_desks_longitude'), 'longitude BETWEEN -180 AND 180')
        batch_op.create_check_constraint(op.f('ck_desks_location_pair'), '(latitude IS NULL) = (longitude IS NULL)')
    with op.batch_alter_table('evidence') as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('evidence') as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_sha256'))
    with op.batch_alter_table('desks') as batch_op:
        batch_op.drop_constraint(op.f('ck_desks_location_pair'), type_='check')
        batch_op.drop_constraint(op.f('ck_desks_longitude'), type_='check')
        batch_op.drop_constraint(op.f('ck_desks_latitude'), type_='check')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
