"""visit scores: each approved visit's score kept, filled from the findings

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:00:00

Reports recomputed every visit's score from its findings on every request (9 s for a
national year); an approved visit's score changes only when a review decides it again
(issue 12). `visit_scores` keeps, per approved visit with a review, what reports and
lists need: the score, the applicable and passed weights, failures by effective severity,
the counting findings, and the review they come from. The app writes it when a review
decides (inspect_api/reports/kept_scores.py); this revision fills it for the visits
approved before, with the same computation written out in SQL (a migration never imports
the app's models): per criterion, applicable when a counting finding is pass or fail,
passed when none fails; voids and severity changes from the latest review.
`flask scores verify` compares the result with the app's computation.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# The reference computation of reports/scores.py, for every approved visit at once.
# Expressions are those of the app (100.0 * sum / NULLIF(sum, 0), weights as FLOAT), so
# the stored score is the same floating-point number the app computes.
FILL = """
INSERT INTO visit_scores (visit_id, review_id, score, applicable_weight, passed_weight,
                          critical, major, minor, findings)
SELECT approved.visit_id, approved.review_id, per_visit.score,
       COALESCE(per_visit.applicable_weight, CAST(0 AS FLOAT)),
       COALESCE(per_visit.passed_weight, CAST(0 AS FLOAT)),
       COALESCE(fails.critical, 0), COALESCE(fails.major, 0), COALESCE(fails.minor, 0),
       COALESCE(fails.findings, 0)
FROM (SELECT visits.id AS visit_id, max(reviews.id) AS review_id
      FROM visits JOIN reviews ON reviews.visit_id = visits.id
      WHERE visits.status = 'approved'
      GROUP BY visits.id) AS approved
LEFT JOIN (
    SELECT visit_id,
           100.0 * sum(CASE WHEN failed = 0 AND passed = 1 THEN weight ELSE 0.0 END)
               / NULLIF(sum(CASE WHEN failed = 1 OR passed = 1 THEN weight ELSE 0.0 END), 0) AS score,
           sum(CASE WHEN failed = 1 OR passed = 1 THEN weight ELSE 0.0 END) AS applicable_weight,
           sum(CASE WHEN failed = 0 AND passed = 1 THEN weight ELSE 0.0 END) AS passed_weight
    FROM (SELECT effective.visit_id, effective.criterion_id,
                 max(CAST(effective.weight AS FLOAT)) AS weight,
                 max(CASE WHEN effective.result = 'fail' THEN 1 ELSE 0 END) AS failed,
                 max(CASE WHEN effective.result = 'pass' THEN 1 ELSE 0 END) AS passed
          FROM effective GROUP BY effective.visit_id, effective.criterion_id) AS per_criterion
    GROUP BY visit_id
) AS per_visit ON per_visit.visit_id = approved.visit_id
LEFT JOIN (
    SELECT visit_id,
           sum(CASE WHEN result = 'fail' AND severity = 'critical' THEN 1 ELSE 0 END) AS critical,
           sum(CASE WHEN result = 'fail' AND severity = 'major' THEN 1 ELSE 0 END) AS major,
           sum(CASE WHEN result = 'fail' AND severity = 'minor' THEN 1 ELSE 0 END) AS minor,
           count(*) AS findings
    FROM effective GROUP BY visit_id
) AS fails ON fails.visit_id = approved.visit_id
"""

# The counting findings of the approved visits: voids removed, severity as the latest
# review left it. A CTE, so both halves above read it.
EFFECTIVE = """
WITH latest AS (
    SELECT visits.id AS visit_id, max(reviews.id) AS review_id
    FROM visits JOIN reviews ON reviews.visit_id = visits.id
    WHERE visits.status = 'approved'
    GROUP BY visits.id
), effective AS (
    SELECT findings.visit_id, findings.criterion_id, findings.result, criteria.weight,
           COALESCE(finding_reviews.severity, criteria.severity) AS severity
    FROM findings
    JOIN latest ON latest.visit_id = findings.visit_id
    JOIN criteria ON criteria.id = findings.criterion_id
    LEFT JOIN finding_reviews ON finding_reviews.review_id = latest.review_id
                             AND finding_reviews.finding_id = findings.id
    WHERE finding_reviews.voided IS NULL OR finding_reviews.voided = :no
)
"""


def upgrade():
    op.create_table('visit_scores',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('applicable_weight', sa.Float(), nullable=False),
    sa.Column('passed_weight', sa.Float(), nullable=False),
    sa.Column('critical', sa.Integer(), nullable=False),
    sa.Column('major', sa.Integer(), nullable=False),
    sa.Column('minor', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_visit_scores_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_scores_visit_id_visits'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_visit_scores'))
    )
    op.create_index(op.f('ix_visit_scores_review_id'), 'visit_scores', ['review_id'], unique=False)
    # SQLite takes a WITH before INSERT, PostgreSQL too: one statement, one pass.
    op.get_bind().execute(sa.text(EFFECTIVE + FILL).bindparams(sa.bindparam('no', False, type_=sa.Boolean())))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE visit_scores')


def downgrade():
    op.drop_index(op.f('ix_visit_scores_review_id'), table_name='visit_scores')
    op.drop_table('visit_scores')
