"""kept rows' place: each kept score, failure and figure carries its visit's desk and start

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 13:00:00

A national list picked its year's kept rows (40,000 scores, 59,000 failures, 78,000
figures) by joining each table to every visit, its desk and its unit, several times per
request (issue 12). An approved visit's desk and start are fixed (it can no longer be
edited; a review that reopens it rewrites its kept rows), so each kept row now carries
them, and a period's rows are picked from the kept table itself, joined only to the few
thousand desks and units. The app writes them with the rest of the kept row
(inspect_api/reports/kept_scores.py); this revision copies them from the visits, in SQL.
`flask scores verify` compares them with the visits'.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('visit_scores', 'visit_failures', 'visit_values')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('desk_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        # Correlated subqueries rather than UPDATE ... FROM: both databases, by the
        # visits' primary key.
        op.execute(f"UPDATE {table} SET "  # noqa: S608 - a name from TABLES, no input
                   f"desk_id = (SELECT visits.desk_id FROM visits WHERE visits.id = {table}.visit_id), "
                   f"started_at = (SELECT visits.started_at FROM visits WHERE visits.id = {table}.visit_id)")
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('desk_id', existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column('started_at', existing_type=sa.DateTime(timezone=True), nullable=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_desk_id_desks'), 'desks', ['desk_id'], ['id'])
            if table != 'visit_values':
                batch_op.create_index(batch_op.f(f'ix_{table}_started_at'), ['started_at'], unique=False)
            else:
                batch_op.create_index('ix_visit_values_criterion_id_started_at', ['criterion_id', 'started_at'],
                                      unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'ANALYZE {table}')


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            if table != 'visit_values':
                batch_op.drop_index(batch_op.f(f'ix_{table}_started_at'))
            else:
                batch_op.drop_index('ix_visit_values_criterion_id_started_at')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_desk_id_desks'), type_='foreignkey')
            batch_op.drop_column('started_at')
            batch_op.drop_column('desk_id')
