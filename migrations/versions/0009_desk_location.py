"""desks: latitude and longitude; evidence: index on sha256

Revision ID: 0009
Revises: 0008
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
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


# The checks, as the models name them.
CHECKS = {
    'latitude': ('ck_desks_latitude', 'latitude BETWEEN -90 AND 90'),
    'longitude': ('ck_desks_longitude', 'longitude BETWEEN -180 AND 180'),
    'location_pair': ('ck_desks_location_pair', '(latitude IS NULL) = (longitude IS NULL)'),
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade():
    if _sqlite():
        # SQLite adds a table CHECK only by rebuilding the table, and dropping `desks`
        # (which staff and visits reference) fails with foreign keys on: the checks come
        # with the columns instead (a column CHECK may name the other column).
        name, check = CHECKS['latitude']
        op.execute(f'ALTER TABLE desks ADD COLUMN latitude NUMERIC(9, 6) CONSTRAINT {name} CHECK ({check})')
        (name, check), (pair, pair_check) = CHECKS['longitude'], CHECKS['location_pair']
        op.execute(f'ALTER TABLE desks ADD COLUMN longitude NUMERIC(9, 6) CONSTRAINT {name} CHECK ({check}) '
                   f'CONSTRAINT {pair} CHECK ({pair_check})')
    else:
        op.add_column('desks', sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        op.add_column('desks', sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
        for name, check in CHECKS.values():
            op.create_check_constraint(op.f(name), 'desks', check)
    op.create_index(op.f('ix_evidence_sha256'), 'evidence', ['sha256'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_evidence_sha256'), table_name='evidence')
    if _sqlite():
        # Native DROP COLUMN (SQLite 3.35+), not a rebuild, for the reason above; the
        # longitude column carries the check that names both.
        op.execute('ALTER TABLE desks DROP COLUMN longitude')
        op.execute('ALTER TABLE desks DROP COLUMN latitude')
    else:
        for name, _check in reversed(CHECKS.values()):
            op.drop_constraint(op.f(name), 'desks', type_='check')
        op.drop_column('desks', 'longitude')
        op.drop_column('desks', 'latitude')
