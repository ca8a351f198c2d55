"""visit failures and values: each approved visit's counting failures and lowest figures kept beside its score

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:50:00

The criticism and commendation lists picked a national year's ~59,000 failures out of
its 1.5 million findings on every request (issue 12). An approved visit's failures, like
its score, change only when a review decides it again, so `visit_failures` keeps them:
one row per failing finding not voided by the deciding review, with the severity that
review left and the finding's own fields (an approved visit is no longer editable); and
`visit_values` the lowest figure it recorded per criterion, which the dossier rates
read. The app writes them with the kept scores (inspect_api/reports/kept_scores.py); this revision
fills them for the visits approved before, in SQL (a migration never imports the app's
models). `flask scores verify` compares them with the app's computation.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


# The counting failures of the approved visits: voids removed, severity as the latest
# review left it (the same rule as 0013's and reports/scores.effective_findings).
FILL = """
INSERT INTO visit_failures (finding_id, visit_id, review_id, criterion_id, staff_id, severity,
                            value_number, note, recorded_by_id)
WITH latest AS (
    SELECT visits.id AS visit_id, max(reviews.id) AS review_id
    FROM visits JOIN reviews ON reviews.visit_id = visits.id
    WHERE visits.status = 'approved'
    GROUP BY visits.id
)
SELECT findings.id, findings.visit_id, latest.review_id, findings.criterion_id, findings.staff_id,
       COALESCE(finding_reviews.severity, criteria.severity), findings.value_number, findings.note,
       findings.recorded_by_id
FROM findings
JOIN latest ON latest.visit_id = findings.visit_id
JOIN criteria ON criteria.id = findings.criterion_id
LEFT JOIN finding_reviews ON finding_reviews.review_id = latest.review_id
                         AND finding_reviews.finding_id = findings.id
WHERE findings.result = 'fail'
  AND (finding_reviews.voided IS NULL OR finding_reviews.voided = :no)
"""


# The lowest figure per approved visit and criterion, among its counting findings.
FILL_VALUES = """
INSERT INTO visit_values (visit_id, criterion_id, review_id, lowest)
WITH latest AS (
    SELECT visits.id AS visit_id, max(reviews.id) AS review_id
    FROM visits JOIN reviews ON reviews.visit_id = visits.id
    WHERE visits.status = 'approved'
    GROUP BY visits.id
)
SELECT findings.visit_id, findings.criterion_id, latest.review_id, min(findings.value_number)
FROM findings
JOIN latest ON latest.visit_id = findings.visit_id
LEFT JOIN finding_reviews ON finding_reviews.review_id = latest.review_id
                         AND finding_reviews.finding_id = findings.id
WHERE findings.value_number IS NOT NULL
  AND (finding_reviews.voided IS NULL OR finding_reviews.voided = :no)
GROUP BY findings.visit_id, findings.criterion_id, latest.review_id
"""


def upgrade():
    op.create_table('visit_failures',
    sa.Column('finding_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('value_number', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_visit_failures_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_visit_failures_finding_id_findings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_visit_failures_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_visit_failures_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_visit_failures_staff_id_staff')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_failures_visit_id_visits'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('finding_id', name=op.f('pk_visit_failures'))
    )
    op.create_index(op.f('ix_visit_failures_review_id'), 'visit_failures', ['review_id'], unique=False)
    op.create_index(op.f('ix_visit_failures_visit_id'), 'visit_failures', ['visit_id'], unique=False)
    op.create_table('visit_values',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('lowest', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_visit_values_criterion_id_criteria')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_visit_values_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_values_visit_id_visits'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'criterion_id', name=op.f('pk_visit_values'))
    )
    op.create_index(op.f('ix_visit_values_criterion_id'), 'visit_values', ['criterion_id'], unique=False)
    op.create_index(op.f('ix_visit_values_review_id'), 'visit_values', ['review_id'], unique=False)
    no = sa.bindparam('no', False, type_=sa.Boolean())
    op.get_bind().execute(sa.text(FILL).bindparams(no))
    op.get_bind().execute(sa.text(FILL_VALUES).bindparams(no))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE visit_failures')
        op.execute('ANALYZE visit_values')


def downgrade():
    op.drop_index(op.f('ix_visit_values_review_id'), table_name='visit_values')
    op.drop_index(op.f('ix_visit_values_criterion_id'), table_name='visit_values')
    op.drop_table('visit_values')
    op.drop_index(op.f('ix_visit_failures_visit_id'), table_name='visit_failures')
    op.drop_index(op.f('ix_visit_failures_review_id'), table_name='visit_failures')
    op.drop_table('visit_failures')
